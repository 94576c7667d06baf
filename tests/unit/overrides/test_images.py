"""Image references and the imageOverrider: Karmada's own test vectors (imageparser and imageoverride
tests) plus the grammar's edges."""

from __future__ import annotations

import copy

import pytest

from karmadad.overrides import OverrideError, apply_overriders
from karmadad.overrides.images import ImageError, ImageReference, override_image, parse_image, split_hostname

DIGEST = "sha256:50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c"
OTHER_DIGEST = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
IMAGE = "fictional.registry.example/imagename:v1.0.0"


@pytest.mark.parametrize(
    ("image", "hostname", "repository", "tag", "digest"),
    [
        ("pause", "", "pause", "", ""),
        ("subpath/imagename:v1.0.0", "", "subpath/imagename", "v1.0.0", ""),
        (
            "fictional.registry.example/imagename:v1.0.0",
            "fictional.registry.example",
            "imagename",
            "v1.0.0",
            "",
        ),
        (
            "fictional.registry.example:10443/subpath/imagename:v1.0.0",
            "fictional.registry.example:10443",
            "subpath/imagename",
            "v1.0.0",
            "",
        ),
        (
            f"fictional.registry.example:10443/subpath/imagename@{DIGEST}",
            "fictional.registry.example:10443",
            "subpath/imagename",
            "",
            DIGEST,
        ),
        ("localhost/app:1", "localhost", "app", "1", ""),
        ("localhost:5000/team/app", "localhost:5000", "team/app", "", ""),
        ("docker.io/library/nginx", "docker.io", "library/nginx", "", ""),
        ("library/nginx:1.27", "", "library/nginx", "1.27", ""),
        ("[::1]:5000/app:v2", "[::1]:5000", "app", "v2", ""),
    ],
)
def test_parse_splits_and_round_trips(image, hostname, repository, tag, digest):
    reference = parse_image(image)
    assert reference == ImageReference(hostname, repository, tag, digest)
    assert str(reference) == image


@pytest.mark.parametrize(
    ("name", "hostname", "repository"),
    [
        ("", "", ""),
        ("imagename", "", "imagename"),
        ("subpath/imagename", "", "subpath/imagename"),
        ("fictional.registry.example/subpath/imagename", "fictional.registry.example", "subpath/imagename"),
        (
            "fictional.registry.example:10443/subpath/imagename",
            "fictional.registry.example:10443",
            "subpath/imagename",
        ),
        ("10.10.10.10:10443/subpath/imagename", "10.10.10.10:10443", "subpath/imagename"),
        ("localhost/imagename", "localhost", "imagename"),
        ("localhostx/imagename", "", "localhostx/imagename"),
    ],
)
def test_split_hostname(name, hostname, repository):
    assert split_hostname(name) == (hostname, repository)


def test_tag_and_digest_together_keep_only_the_tag():
    assert parse_image(f"nginx:1.0@{DIGEST}") == ImageReference("", "nginx", "1.0", "")
    assert override_image(f"nginx:1.0@{DIGEST}", "Registry", "add", "r.io") == "r.io/nginx:1.0"


def test_component_edits_as_in_karmadas_examples():
    assert override_image("imagename:v1.0.0", "Registry", "replace", "fictional.registry.example") == (
        "fictional.registry.example/imagename:v1.0.0"
    )
    assert override_image(IMAGE, "Registry", "replace", "gcr.io") == "gcr.io/imagename:v1.0.0"
    assert override_image("gcr.io/imagename:v1.0.0", "Registry", "remove", "") == "imagename:v1.0.0"
    assert override_image(
        "gcr.io/kube-apiserver:v1.19.0", "Repository", "replace", "kube-controller-manager"
    ) == ("gcr.io/kube-controller-manager:v1.19.0")
    assert (
        override_image("gcr.io/kube-apiserver", "Tag", "replace", "v1.19.0")
        == "gcr.io/kube-apiserver:v1.19.0"
    )
    assert override_image("gcr.io/kube-apiserver:v1.19.0", "Tag", "remove", "") == "gcr.io/kube-apiserver"
    assert (
        override_image("gcr.io/kube-apiserver", "Tag", "replace", DIGEST) == f"gcr.io/kube-apiserver@{DIGEST}"
    )
    assert override_image(f"gcr.io/kube-apiserver@{DIGEST}", "Tag", "remove", "") == "gcr.io/kube-apiserver"


def test_registry_add_is_a_text_suffix_and_detection_needs_a_dot_colon_or_localhost():
    assert override_image("nginx:1.27", "Registry", "add", "registry.example.com") == (
        "registry.example.com/nginx:1.27"
    )
    # "library" is not a registry, so add prefixes a new one rather than extending it
    assert override_image("library/nginx", "Registry", "add", "r.io") == "r.io/library/nginx"
    assert (
        override_image("docker.io/library/nginx", "Registry", "replace", "mirror.io")
        == "mirror.io/library/nginx"
    )
    assert override_image("docker.io/library/nginx", "Registry", "add", "-cn") == "docker.io-cn/library/nginx"


def test_tag_operations_only_accept_valid_tags_or_digests():
    assert override_image("app:v1", "Tag", "add", "-rc1") == "app:v1-rc1"
    assert override_image("app", "Tag", "add", "v2") == "app:v2"
    assert override_image("app:v1", "Tag", "replace", "not a tag") == "app:v1"
    assert override_image("app:v1", "Tag", "replace", OTHER_DIGEST) == f"app@{OTHER_DIGEST}"
    assert override_image(f"app@{DIGEST}", "Tag", "replace", "v3") == "app:v3"


def test_unknown_operator_changes_nothing_but_unknown_component_fails():
    assert override_image(IMAGE, "Registry", "upsert", "x") == IMAGE
    with pytest.raises(ImageError, match="component"):
        override_image(IMAGE, "Digest", "replace", "x")


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("", "empty"),
        ("Nginx:1.0", "lower-case"),
        ("nginx:1.0:2", "not a valid"),
        ("nginx@sha256:abc", "not a valid"),  # fewer than 32 hex digits
        ("nginx@md5:" + "a" * 32, "not supported"),
        ("nginx@sha256:" + "a" * 63, "64 hex digits"),
        ("nginx@sha256:" + "A" * 64, "lower-case hex"),
        ("a" * 256, "longer than 255"),
        ("nginx\n", "not a valid"),
    ],
)
def test_invalid_references(image, problem):
    with pytest.raises(ImageError, match=problem):
        parse_image(image)


def test_sha512_digest_is_accepted():
    image = "app@sha512:" + "0" * 128
    assert str(parse_image(image)) == image


# --- the overrider on manifests (Karmada's imageoverride test vectors) ---------------------------


def workload(kind: str, *images: str) -> dict:
    containers = [{"name": "nginx", "image": image} for image in images]
    if kind == "Pod":
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "nginx"},
            "spec": {"containers": containers},
        }
    api = "batch/v1" if kind == "Job" else "apps/v1"
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": "nginx"},
        "spec": {"replicas": 1, "template": {"metadata": {}, "spec": {"containers": containers}}},
    }


def images_of(obj: dict) -> list[str]:
    spec = obj["spec"] if obj["kind"] == "Pod" else obj["spec"]["template"]["spec"]
    return [c["image"] for c in spec["containers"]]


def image_overrider(component: str, operator: str, value: str = "", path: str | None = None) -> dict:
    overrider = {"component": component, "operator": operator, "value": value}
    if path is not None:
        overrider["predicate"] = {"path": path}
    return {"imageOverrider": [overrider]}


@pytest.mark.parametrize(
    ("component", "operator", "value", "expected"),
    [
        ("Registry", "add", ".test", "fictional.registry.example.test/imagename:v1.0.0"),
        ("Registry", "replace", "fictional.registry.us", "fictional.registry.us/imagename:v1.0.0"),
        ("Registry", "remove", "fictional.registry.us", "imagename:v1.0.0"),
        ("Repository", "add", "/nginx", "fictional.registry.example/imagename/nginx:v1.0.0"),
        ("Repository", "replace", "nginx", "fictional.registry.example/nginx:v1.0.0"),
        ("Repository", "remove", "nginx", "fictional.registry.example/:v1.0.0"),
        ("Tag", "add", OTHER_DIGEST, "fictional.registry.example/imagename:v1.0.0"),
        ("Tag", "replace", OTHER_DIGEST, f"fictional.registry.example/imagename@{OTHER_DIGEST}"),
        ("Tag", "remove", OTHER_DIGEST, "fictional.registry.example/imagename"),
    ],
)
def test_deployment_vectors(component, operator, value, expected):
    result = apply_overriders(workload("Deployment", IMAGE), image_overrider(component, operator, value))
    assert images_of(result) == [expected]


@pytest.mark.parametrize("kind", ["Pod", "ReplicaSet", "Deployment", "DaemonSet", "StatefulSet"])
def test_every_workload_kind_without_predicate(kind):
    result = apply_overriders(workload(kind, IMAGE), image_overrider("Repository", "replace", "nginx"))
    assert images_of(result) == ["fictional.registry.example/nginx:v1.0.0"]


def test_job_with_and_without_predicate():
    job = workload("Job", "perl:5.34.0")
    assert images_of(apply_overriders(job, image_overrider("Registry", "add", "registry.k8s.io"))) == [
        "registry.k8s.io/perl:5.34.0"
    ]
    by_path = image_overrider("Registry", "add", "registry.k8s.io", "/spec/template/spec/containers/0/image")
    assert images_of(apply_overriders(job, by_path)) == ["registry.k8s.io/perl:5.34.0"]


def test_every_container_without_predicate_but_one_with():
    deployment = workload("Deployment", IMAGE, "registry.k8s.io/nginx-slim:0.8")
    assert images_of(apply_overriders(deployment, image_overrider("Repository", "replace", "nginx"))) == [
        "fictional.registry.example/nginx:v1.0.0",
        "registry.k8s.io/nginx:0.8",
    ]
    second = image_overrider("Repository", "replace", "nginx", "/spec/template/spec/containers/1/image")
    assert images_of(apply_overriders(deployment, second)) == [IMAGE, "registry.k8s.io/nginx:0.8"]


def test_init_containers_and_other_kinds_are_untouched():
    deployment = workload("Deployment", IMAGE)
    deployment["spec"]["template"]["spec"]["initContainers"] = [{"name": "init", "image": "busybox"}]
    result = apply_overriders(deployment, image_overrider("Registry", "replace", "r.io"))
    assert result["spec"]["template"]["spec"]["initContainers"] == [{"name": "init", "image": "busybox"}]
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c"},
        "spec": {
            "jobTemplate": {
                "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
            }
        },
    }
    assert apply_overriders(cronjob, image_overrider("Registry", "replace", "r.io")) == cronjob


def test_predicate_reaches_any_kind_and_leaves_input_untouched():
    cronjob = {
        "kind": "CronJob",
        "spec": {
            "jobTemplate": {
                "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
            }
        },
    }
    before = copy.deepcopy(cronjob)
    path = "/spec/jobTemplate/spec/template/spec/containers/0/image"
    result = apply_overriders(cronjob, image_overrider("Registry", "replace", "r.io", path))
    assert (
        result["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] == "r.io/busybox"
    )
    assert cronjob == before


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/spec/template/spec/containers/1/image", "no object at index 1"),
        ("/spec/template/spec/containers/x/image", "not a list index"),
        ("/spec/nothing/image", "not an object or a list"),
        ("/spec/template/spec/containers/0/name2", "no image string"),
        ("spec/template/spec/containers/0/image", "must start with '/'"),
    ],
)
def test_bad_predicate_paths_fail_naming_the_path(path, problem):
    with pytest.raises(OverrideError, match=problem) as caught:
        apply_overriders(workload("Deployment", IMAGE), image_overrider("Registry", "replace", "r.io", path))
    assert caught.value.path == path
    assert "imageOverrider[0]" in str(caught.value)


def test_unparsable_or_missing_image_fails():
    with pytest.raises(OverrideError, match=r"/spec/template/spec/containers/0/image.*lower-case"):
        apply_overriders(workload("Deployment", "Bad/Image"), image_overrider("Registry", "replace", "r.io"))
    deployment = workload("Deployment", IMAGE)
    del deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    with pytest.raises(OverrideError, match="empty"):
        apply_overriders(deployment, image_overrider("Registry", "replace", "r.io"))
