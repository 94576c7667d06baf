from pathlib import Path

import pytest

from karmadad.config import ConfigError, DaemonConfig, load_config, parse_config


def problems(document) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    return caught.value.problems


def test_empty_document_gives_embedded_defaults():
    config = parse_config(None)
    assert config == DaemonConfig()
    assert config.dataDir == Path(".karmadad")
    assert config.api.listen == "127.0.0.1:7443"
    assert config.metrics.listen == "127.0.0.1:9464"
    assert config.log.format == "text" and config.clusters == []


def test_example_config_is_valid_and_uses_defaults():
    example = Path(__file__).parents[2] / "config" / "karmadad.yaml"
    config = load_config(example)
    assert config.dataDir == Path(".karmadad")
    assert config.api.listen.startswith("127.0.0.1:") and config.metrics.listen.startswith("127.0.0.1:")
    assert config.clusters == []


def test_each_problem_names_its_path(tmp_path):
    kubeconfig = tmp_path / "ok.kubeconfig"
    kubeconfig.write_text("{}")
    found = problems(
        {
            "metrics": {"listen": "127.0.0.1:99999"},
            "log": {"format": "xml"},
            "clusters": [
                {"name": "member1", "kubeconfig": str(kubeconfig)},
                {"name": "member2", "kubeconfig": str(tmp_path / "absent")},
                {"name": "Bad_Name", "kubeconfig": str(kubeconfig), "colour": "blue"},
            ],
            "apiServer": {},
        }
    )
    assert "clusters[2].colour: unknown key" in found
    assert any(p.startswith("clusters[2].name: must be a DNS-1123 label") for p in found)
    assert "apiServer: unknown key" in found
    assert any(p.startswith("metrics.listen: must be host:port") for p in found)
    assert any(p.startswith("log.format: ") for p in found)
    assert len(found) == 5


def test_cluster_requires_name_and_a_way_in():
    assert problems({"clusters": [{}]}) == ["clusters[0].name: required"]
    assert problems({"clusters": [{"name": "m1"}]}) == [
        "clusters[0]: set either kubeconfig or server (with tokenFile and caFile)"
    ]


def test_cluster_by_server_token_and_ca(tmp_path):
    token, ca = tmp_path / "token", tmp_path / "ca.crt"
    token.write_text("t")
    ca.write_text("c")
    entry = {
        "name": "m1",
        "server": "https://10.0.0.1:6443",
        "tokenFile": str(token),
        "caFile": str(ca),
        "qps": 5,
    }
    cluster = parse_config({"clusters": [entry]}).clusters[0]
    assert cluster.server == "https://10.0.0.1:6443" and cluster.qps == 5 and cluster.burst == 60
    assert problems({"clusters": [{**entry, "caFile": None}]}) == [
        "clusters[0]: server needs tokenFile and caFile"
    ]
    assert problems({"clusters": [{**entry, "server": "http://plain"}]})[0].startswith("clusters[0].server:")


def test_duplicate_cluster_names_are_rejected(tmp_path):
    kubeconfig = tmp_path / "k"
    kubeconfig.write_text("{}")
    entry = {"name": "member1", "kubeconfig": str(kubeconfig)}
    assert problems({"clusters": [entry, entry]}) == [
        'clusters: cluster name "member1" used twice: clusters[0] and clusters[1]'
    ]


def test_cluster_name_length_limit(tmp_path):
    kubeconfig = tmp_path / "k"
    kubeconfig.write_text("{}")
    assert parse_config({"clusters": [{"name": "a" * 48, "kubeconfig": str(kubeconfig)}]})
    assert problems({"clusters": [{"name": "a" * 49, "kubeconfig": str(kubeconfig)}]})


def test_taints_and_placement_facts(tmp_path):
    kubeconfig = tmp_path / "k"
    kubeconfig.write_text("{}")
    config = parse_config(
        {
            "clusters": [
                {
                    "name": "member1",
                    "kubeconfig": str(kubeconfig),
                    "provider": "aws",
                    "region": "us-east-1",
                    "zones": ["us-east-1a"],
                    "labels": {"env": "prod"},
                    "taints": [{"key": "dedicated", "effect": "NoSchedule"}],
                }
            ]
        }
    )
    assert config.clusters[0].taints[0].effect == "NoSchedule"
    bad = problems(
        {
            "clusters": [
                {"name": "m", "kubeconfig": str(kubeconfig), "taints": [{"key": "k", "effect": "Sometimes"}]}
            ]
        }
    )
    assert len(bad) == 1 and bad[0].startswith("clusters[0].taints[0].effect: ")


def test_tls_needs_cert_and_key_together(tmp_path):
    cert = tmp_path / "tls.crt"
    cert.write_text("x")
    assert problems({"api": {"tls": {"certFile": str(cert)}}}) == [
        "api.tls: certFile and keyFile must be set together"
    ]


def test_listen_address_forms():
    assert parse_config({"api": {"listen": "[::1]:7443"}}).api.listen == "[::1]:7443"
    assert parse_config({"api": {"listen": "localhost:7443"}}).api.listen == "localhost:7443"
    assert problems({"api": {"listen": "example.com:7443"}})[0].startswith("api.listen: host must be")
    assert problems({"api": {"listen": "7443"}})[0].startswith("api.listen: must be host:port")


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError) as missing:
        load_config(tmp_path / "nope.yaml")
    assert missing.value.problems == [f"{tmp_path / 'nope.yaml'}: No such file or directory"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("api:\n  listen: [unclosed\n")
    with pytest.raises(ConfigError) as bad_yaml:
        load_config(broken)
    assert bad_yaml.value.problems[0].startswith(f"{broken}:3:1: invalid YAML")
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just a string\n")
    with pytest.raises(ConfigError) as not_mapping:
        load_config(scalar)
    assert "top level must be a mapping" in not_mapping.value.problems[0]


def test_failover_is_off_by_default_and_check_config_says_what_turning_it_on_does():
    from karmadad.config import failover_summary, parse_config

    assert failover_summary(parse_config(None)) == [
        "failover: off — a NotReady member keeps its workloads "
        "(featureGates.Failover and failover.enableNoExecuteTaintEviction turn it on)"
    ]
    on = parse_config(
        {"featureGates": {"Failover": True}, "failover": {"enableNoExecuteTaintEviction": True}}
    )
    assert failover_summary(on) == [
        "failover: on — workloads leave clusters with NoExecute taints they do not tolerate, 0.5 evictions per second",
        "failover: purge mode Gracefully unless a policy says otherwise; old copies stay until the new ones are healthy, 600 s at most",
        "failover: no eviction while more than 50% of the clusters are NotReady",
        "failover: ClusterTaintPolicies may not (failover.allowNoExecuteTaintPolicy) add NoExecute taints",
    ]
