"""The daemon's configuration file.

One YAML file says where state lives, where the API and metrics listen, how to log and which member
clusters to manage. Keys are camelCase like Kubernetes objects; an unknown key is an error rather
than a silently ignored typo. Every problem is reported with the path of the key that caused it
(``clusters[1].kubeconfig: file not found``) so an operator can fix the file in one pass.

Relative paths are taken relative to the daemon's working directory.
"""

from __future__ import annotations

import ipaddress
import re
import stat
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from karmadad.quantity import is_quantity_text

# Karmada limits cluster names to 48 characters of a DNS-1123 label.
_CLUSTER_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_CLUSTER_NAME_MAX = 48


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` holds one ``path: message`` line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _existing_file(path: Path) -> Path:
    if not path.is_file():
        raise PydanticCustomError("file_not_found", "file not found")
    return path


ExistingFile = Annotated[Path, AfterValidator(_existing_file)]

# As long as an inline token must be: a bearer token is a password that is never typed.
_TOKEN_MIN_LENGTH = 16


def _token_file(path: Path) -> Path:
    """A token file is private to its owner and holds one token at least as long as an inline one."""
    _existing_file(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PydanticCustomError(
            "token_file_mode",
            "must not be readable by group or others (chmod 600); its mode is {mode}",
            {"mode": f"{mode:04o}"},
        )
    try:
        token = path.read_text().strip()
    except OSError as error:
        raise PydanticCustomError(
            "token_file_read", "cannot be read: {error}", {"error": error.strerror}
        ) from None
    except UnicodeDecodeError:
        raise PydanticCustomError("token_file_read", "is not UTF-8 text") from None
    if not token:
        raise PydanticCustomError("token_file_empty", "is empty")
    if len(token) < _TOKEN_MIN_LENGTH:
        raise PydanticCustomError(
            "token_file_short",
            "holds a token shorter than {min} characters",
            {"min": _TOKEN_MIN_LENGTH},
        )
    return path


TokenFile = Annotated[Path, AfterValidator(_token_file)]


def _listen_address(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise PydanticCustomError("listen", "must be host:port with a port in 1..65535")
    host = host.removeprefix("[").removesuffix("]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise PydanticCustomError("listen", "host must be an IP address or localhost") from None
    return value


ListenAddress = Annotated[str, AfterValidator(_listen_address)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TLSConfig(_Section):
    """Serving certificate; when both are unset the daemon generates a CA and certificate in dataDir."""

    certFile: ExistingFile | None = None
    keyFile: ExistingFile | None = None
    # Extra names (DNS or IP) the generated certificate covers besides localhost and loopback.
    names: list[str] = []

    @model_validator(mode="after")
    def _both_or_neither(self) -> TLSConfig:
        if (self.certFile is None) != (self.keyFile is None):
            raise PydanticCustomError("tls_pair", "certFile and keyFile must be set together")
        return self


class TokenConfig(_Section):
    """A bearer token, inline or (better) in its own file, and the user and groups it authenticates.

    Group ``admin`` may do everything; group ``view`` may get, list and watch. A token file must be
    private to its owner (mode 0600): anyone who can read it is that user.
    """

    user: str = Field(min_length=1)
    groups: list[str] = []
    token: str | None = Field(default=None, min_length=_TOKEN_MIN_LENGTH, repr=False)
    tokenFile: TokenFile | None = None

    @model_validator(mode="after")
    def _one_source(self) -> TokenConfig:
        if (self.token is None) == (self.tokenFile is None):
            raise PydanticCustomError("token_source", "exactly one of token and tokenFile must be set")
        return self

    def secret(self) -> str:
        """The token itself: inline, or its file's content without surrounding whitespace."""
        if self.token is not None:
            return self.token
        assert self.tokenFile is not None  # _one_source: exactly one of the two is set
        return self.tokenFile.read_text().strip()


def _service_range(value: str) -> str:
    """kube-apiserver's ``--service-cluster-ip-range``, single stack: an IPv4 network of /12 to /30."""
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise PydanticCustomError(
            "service_range", "must be an IPv4 network such as 10.96.0.0/12: {error}", {"error": str(error)}
        ) from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise PydanticCustomError(
            "service_range", "must be an IPv4 network (karmadad serves single-stack IPv4)"
        )
    if not 12 <= network.prefixlen <= 30:
        raise PydanticCustomError("service_range", "the prefix length must be between 12 and 30")
    return value


def _node_port_range(value: str) -> str:
    """kube-apiserver's ``--service-node-port-range``: ``first-last``, both inclusive."""
    first, sep, last = value.partition("-")
    if not (sep and first.isdigit() and last.isdigit() and 1 <= int(first) <= int(last) <= 65535):
        raise PydanticCustomError("node_port_range", "must be first-last with 1 <= first <= last <= 65535")
    return value


ServiceRange = Annotated[str, AfterValidator(_service_range)]
NodePortRange = Annotated[str, AfterValidator(_node_port_range)]


class APIConfig(_Section):
    listen: ListenAddress = "127.0.0.1:7443"
    tls: TLSConfig = TLSConfig()
    tokens: list[TokenConfig] = []
    # Where Services' clusterIPs and node ports come from, as karmada-apiserver's flags say (Karmada's
    # installer gives it 10.96.0.0/12; the node port range is kube-apiserver's default).
    serviceClusterIPRange: ServiceRange = "10.96.0.0/12"
    serviceNodePortRange: NodePortRange = "30000-32767"


class MetricsConfig(_Section):
    listen: ListenAddress = "127.0.0.1:9464"


class LogConfig(_Section):
    format: Literal["text", "json"] = "text"
    level: Literal["debug", "info", "warning", "error"] = "info"


class Taint(_Section):
    key: str = Field(min_length=1)
    value: str = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class ClusterConfig(_Section):
    """One member cluster, how to reach it, and the facts the scheduler places by.

    Reach it through a kubeconfig (and optionally one of its contexts), or through ``server`` with a
    ``tokenFile`` and a ``caFile``.
    """

    name: str
    # Credential files are read when the member is connected, not here: one member's missing file must not
    # stop the daemon (its Cluster says why); ``check-config`` still reports them (``missing_member_files``).
    kubeconfig: Path | None = None
    context: str | None = None
    server: str | None = Field(default=None, pattern=r"^https://")
    tokenFile: Path | None = None
    caFile: Path | None = None
    qps: float = Field(default=40.0, gt=0)  # client-side request rate limit towards this member (Karmada's)
    burst: int = Field(default=60, ge=1)
    provider: str = ""
    region: str = ""
    zones: list[str] = []
    labels: dict[str, str] = {}
    taints: list[Taint] = []

    @field_validator("name")
    @classmethod
    def _dns_label(cls, name: str) -> str:
        if len(name) > _CLUSTER_NAME_MAX or not _CLUSTER_NAME.match(name):
            raise PydanticCustomError(
                "cluster_name",
                "must be a DNS-1123 label of at most {max} characters",
                {"max": _CLUSTER_NAME_MAX},
            )
        return name

    @model_validator(mode="after")
    def _one_way_in(self) -> ClusterConfig:
        if (self.kubeconfig is None) == (self.server is None):
            raise PydanticCustomError(
                "cluster_access", "set either kubeconfig or server (with tokenFile and caFile)"
            )
        if self.server is not None and (self.tokenFile is None or self.caFile is None):
            raise PydanticCustomError("cluster_access", "server needs tokenFile and caFile")
        if self.kubeconfig is not None and (self.tokenFile or self.caFile):
            raise PydanticCustomError(
                "cluster_access", "tokenFile and caFile go with server, not with kubeconfig"
            )
        return self


class StoreConfig(_Section):
    """The SQLite object store in dataDir."""

    # normal: an acknowledged write survives the process being killed (kill -9, OOM, crash);
    # full: it also survives power loss, at the price of an fsync per group commit.
    durability: Literal["normal", "full"] = "normal"
    historyEvents: int = Field(default=100_000, ge=1000)  # changes kept for watches to resume from
    historyAgeSeconds: float = Field(default=300.0, ge=10)


class ClusterStatusConfig(_Section):
    """How member clusters are probed (Karmada's defaults)."""

    intervalSeconds: float = Field(default=10.0, gt=0)
    # A probe result must hold this long before Ready flips, so a blip changes nothing.
    thresholdSeconds: float = Field(default=30.0, ge=0)


class FeatureGates(_Section):
    """Karmada's ``--feature-gates`` that change what karmadad does, with Karmada's defaults."""

    PriorityBasedScheduling: bool = False  # Alpha in Karmada v1.18: bindings scheduled by schedulePriority
    # Beta, off: ClusterTaintPolicies act and the taint manager may evict (with failover.* below).
    Failover: bool = False
    # Beta, on: an evicted cluster's copy stays until the new placement is healthy (else removed at once).
    GracefulEviction: bool = True
    # Alpha, off: statePreservation values are carried to the cluster a workload fails over to.
    StatefulFailoverInjection: bool = False


class FailoverConfig(_Section):
    """Moving workloads off failed clusters: Karmada's switches, with Karmada's defaults (nothing moves).

    Eviction needs ``featureGates.Failover`` too. Beyond Karmada, ``maxNotReadyShare`` stops every
    eviction while more than that share of the clusters is NotReady at once: then it is more likely that
    this daemon lost its network than that the clusters failed.
    """

    # karmada-controller-manager --enable-no-execute-taint-eviction: the taint manager evicts workloads
    # from clusters with NoExecute taints they do not tolerate.
    enableNoExecuteTaintEviction: bool = False
    # --no-execute-taint-eviction-purge-mode: how an evicted copy goes when the policy does not say.
    noExecuteTaintEvictionPurgeMode: Literal["Gracefully", "Directly"] = "Gracefully"
    # --resource-eviction-rate: evictions per second, across all bindings of one cluster.
    resourceEvictionRate: float = Field(default=0.5, gt=0)
    # --graceful-eviction-timeout: how long an evicted copy may wait for the new one to be healthy.
    gracefulEvictionTimeoutSeconds: float = Field(default=600.0, gt=0)
    # karmada-webhook --allow-no-execute-taint-policy: ClusterTaintPolicies may add NoExecute taints.
    allowNoExecuteTaintPolicy: bool = False
    # karmadad: evictions stop while more than this share of the clusters is NotReady.
    maxNotReadyShare: float = Field(default=0.5, ge=0, le=1)


class SimulationConfig(_Section):
    """Member clusters simulated inside karmadad, so that a first run propagates somewhere with nothing else
    installed. Each one serves the Kubernetes API on loopback from a store of its own, and runs what it is
    given on simulated nodes: Pods are scheduled by their requests and node selectors, then become ready;
    Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs report status from them. Used only while
    ``clusters`` lists none: a config that lists real members replaces them."""

    clusters: int = Field(default=3, ge=0, le=1000)  # member1, member2, ...; 0 turns the simulation off
    nodes: int = Field(default=3, ge=1, le=1000)  # per cluster
    nodeCPU: str = "8"
    nodeMemory: str = "32Gi"
    nodePods: int = Field(default=110, ge=1)
    jobSeconds: float = Field(default=2.0, ge=0)  # how long a Job's simulated Pod runs before it succeeds

    @field_validator("nodeCPU", "nodeMemory")
    @classmethod
    def _quantity(cls, value: str) -> str:
        if not is_quantity_text(value):
            raise PydanticCustomError("quantity", "must be a Kubernetes quantity such as 8, 500m or 32Gi", {})
        return value


class DaemonConfig(_Section):
    dataDir: Path = Path(".karmadad")
    store: StoreConfig = StoreConfig()
    api: APIConfig = APIConfig()
    metrics: MetricsConfig = MetricsConfig()
    log: LogConfig = LogConfig()
    clusters: list[ClusterConfig] = []
    clusterStatus: ClusterStatusConfig = ClusterStatusConfig()
    # Karmada's --skipped-propagating-namespaces: namespaces (regular expressions, matched whole) whose
    # objects are not templates and which are not propagated themselves.
    skippedPropagatingNamespaces: list[str] = ["kube-.*"]
    featureGates: FeatureGates = FeatureGates()
    failover: FailoverConfig = FailoverConfig()
    simulation: SimulationConfig = SimulationConfig()

    @property
    def simulated_clusters(self) -> int:
        """How many simulated members run: none once real ones are listed."""
        return 0 if self.clusters else self.simulation.clusters

    @field_validator("skippedPropagatingNamespaces")
    @classmethod
    def _expressions(cls, expressions: list[str]) -> list[str]:
        for index, expression in enumerate(expressions):
            try:
                re.compile(expression)
            except re.error as error:
                raise PydanticCustomError(
                    "regex",
                    "skippedPropagatingNamespaces[{index}]: invalid namespace regular expression: {error}",
                    {"index": index, "error": str(error)},
                ) from None
        return expressions

    @field_validator("clusters")
    @classmethod
    def _unique_names(cls, clusters: list[ClusterConfig]) -> list[ClusterConfig]:
        seen: dict[str, int] = {}
        for index, cluster in enumerate(clusters):
            if cluster.name in seen:
                raise PydanticCustomError(
                    "duplicate",
                    'cluster name "{name}" used twice: clusters[{first}] and clusters[{second}]',
                    {"name": cluster.name, "first": seen[cluster.name], "second": index},
                )
            seen[cluster.name] = index
        return clusters


def failover_summary(config: DaemonConfig) -> list[str]:
    """What the failover switches make karmadad do, in words (``check-config`` prints it)."""
    gates, failover = config.featureGates, config.failover
    if not (gates.Failover and failover.enableNoExecuteTaintEviction):
        lines = [
            "failover: off — a NotReady member keeps its workloads "
            "(featureGates.Failover and failover.enableNoExecuteTaintEviction turn it on)"
        ]
        if gates.Failover:
            lines.append("failover: ClusterTaintPolicies act on Clusters' taints")
        return lines
    graceful = (
        f"old copies stay until the new ones are healthy, {failover.gracefulEvictionTimeoutSeconds:g} s at most"
        if gates.GracefulEviction
        else "old copies stay until someone ends their eviction tasks (featureGates.GracefulEviction is off)"
    )
    policies = "may" if failover.allowNoExecuteTaintPolicy else "may not (failover.allowNoExecuteTaintPolicy)"
    return [
        "failover: on — workloads leave clusters with NoExecute taints they do not tolerate, "
        f"{failover.resourceEvictionRate:g} evictions per second",
        f"failover: purge mode {failover.noExecuteTaintEvictionPurgeMode} unless a policy says otherwise; {graceful}",
        f"failover: no eviction while more than {failover.maxNotReadyShare:.0%} of the clusters are NotReady",
        f"failover: ClusterTaintPolicies {policies} add NoExecute taints",
    ]


def missing_member_files(config: DaemonConfig) -> list[str]:
    """``path: file not found`` for each member credential file that is not there (for ``check-config``)."""
    return [
        f"clusters[{index}].{key}: file not found"
        for index, cluster in enumerate(config.clusters)
        for key in ("kubeconfig", "tokenFile", "caFile")
        if (path := getattr(cluster, key)) is not None and not path.is_file()
    ]


def shared_tokens(api: APIConfig) -> list[str]:
    """``api.tokens[j]: the same token as api.tokens[i]`` for each entry repeating an earlier entry's token.

    One token for two entries would make a caller one user or the other depending on the order of the
    list, and revoking one entry's token would silently revoke the other's.
    """
    first: dict[str, int] = {}
    problems = []
    for index, entry in enumerate(api.tokens):
        token = entry.secret()
        if token in first:
            problems.append(f"api.tokens[{index}]: the same token as api.tokens[{first[token]}]")
        else:
            first[token] = index
    return problems


def _format_location(loc: tuple[str | int, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "required",
}


def describe_validation_error(error: ValidationError) -> list[str]:
    """One ``path: message`` line per problem, in the file's own key names."""
    lines = []
    for item in error.errors():
        message = _MESSAGES.get(item["type"], item["msg"])
        lines.append(f"{_format_location(item['loc'])}: {message}")
    return lines


def parse_config(document: object) -> DaemonConfig:
    """Validate an already-loaded YAML document (``None`` means an empty file: all defaults)."""
    try:
        config = DaemonConfig.model_validate(document or {})
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error)) from None
    if problems := shared_tokens(config.api):
        raise ConfigError(problems)
    return config


def load_config(path: Path | None) -> DaemonConfig:
    """Read and validate the config file; no path means the embedded defaults."""
    if path is None:
        return DaemonConfig()
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError([f"{path}: {error.strerror or error}"]) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError([f"{where}: invalid YAML: {problem}"]) from None
    if document is not None and not isinstance(document, dict):
        raise ConfigError([f"{path}: the top level must be a mapping of keys"])
    return parse_config(document)
