#ifndef MA_BASE_LIMITS_H
#define MA_BASE_LIMITS_H

/* Every compiled-in bound, each with its reason. Runtime-tunable limits have a flag whose default is
 * the *_DEFAULT value here. */

/* HTTP request head: kube-apiserver's proxied heads are ~1 KiB; Go's server default is 1 MiB, but
 * 64 KiB covers any real client and caps what a slow or hostile peer makes us hold. */
#define MA_HTTP_MAX_HEAD_DEFAULT (64 * 1024)
/* Request line: paths are at most a few hundred bytes (names are <= 253); 8 KiB is nginx's default. */
#define MA_HTTP_MAX_LINE_DEFAULT (8 * 1024)
/* Header lines per request: the aggregator sends ~15; 100 is Go's and nginx's order of magnitude. */
#define MA_HTTP_MAX_HEADERS 100
/* Chunk size line (size, extensions) and trailer section of a chunked body: real peers send a
 * few bytes of each; the bound stops a peer from making us scan an endless line. */
#define MA_HTTP_MAX_CHUNK_LINE 4096
/* Request body we are willing to read and discard (GET/HEAD carry none in practice). */
#define MA_HTTP_MAX_DISCARD_BODY (64 * 1024)
/* Response body: 10,000 pods x ~220 bytes per item is ~2.2 MiB; 32 MiB leaves a wide margin. */
#define MA_HTTP_MAX_RESPONSE (32 * 1024 * 1024)
/* Per-request arena (decoded path, query values, provider results). */
#define MA_REQ_ARENA_MAX (16 * 1024 * 1024)
/* Seconds to receive a whole request head once its first byte arrived (slowloris guard). */
#define MA_HTTP_HEADER_TIMEOUT_DEFAULT_MS 10000
/* Idle keep-alive: Go's transport closes idle conns at 90 s; we wait a little longer so the
 * client, not us, closes first and never races a request against our close. */
#define MA_HTTP_IDLE_TIMEOUT_DEFAULT_MS 120000
/* TLS handshake must finish within this. */
#define MA_TLS_HANDSHAKE_TIMEOUT_DEFAULT_MS 10000
/* Connections: 1,000 idle TLS conns is the design point; 10,000 bounds memory (~20 KiB each). */
#define MA_NET_MAX_CONNS_DEFAULT 10000
/* Grace period on SIGTERM for in-flight requests. */
#define MA_SHUTDOWN_GRACE_DEFAULT_MS 10000

/* Label selectors: Kubernetes has no hard limit; 64 requirements and 256 values cover any HPA. */
#define MA_KUBE_SEL_MAX_REQS 64
#define MA_KUBE_SEL_MAX_VALUES 256
/* Labels on one object (Kubernetes objects rarely carry more than ~20). */
#define MA_KUBE_MAX_LABELS 64
/* Addresses kept per node (status.addresses): a node has a handful, one per type and family */
#define MA_KUBE_MAX_NODE_ADDRS 16
/* String bounds kube-apiserver's own validation enforces (apimachinery validation): a longer
 * field did not come from a real server, and refusing it bounds one cached pod. */
#define MA_KUBE_MAX_NAME 253      /* DNS subdomain: object names, spec.nodeName */
#define MA_KUBE_MAX_DNS_LABEL 63  /* namespace, spec.hostname, spec.subdomain, label values */
#define MA_KUBE_MAX_LABEL_KEY 317 /* 253-byte DNS prefix + '/' + 63-byte name */
#define MA_KUBE_MAX_IP 45         /* longest textual IPv6 (IPv4-mapped form) */

/* One watch event: objects are at most ~1.5 MiB in etcd; 4 MiB leaves room for JSON overhead. */
#define MA_KUBE_MAX_EVENT_BYTES (4 * 1024 * 1024)
/* One LIST page (500 pods are ~2.5 MiB of JSON). */
#define MA_KUBE_MAX_PAGE_BYTES (32 * 1024 * 1024)
/* jsmn tokens for one event or page: a pod is ~300 tokens, so a 500-item page needs ~150,000;
 * the array grows on demand up to this (20 bytes each). */
#define MA_KUBE_MAX_TOKENS (1024 * 1024)

/* JSON nesting our writer supports (our documents nest at most ~6 deep). */
#define MA_JSON_MAX_DEPTH 32
/* Bytes of one JSON number read as a double: Go writes at most 24; 767 significant digits are the
 * most correct rounding of a double can depend on, so 1024 refuses nothing meaningful. */
#define MA_JSON_MAX_NUMBER 1024

/* Extra SANs accepted by --tls-san. */
#define MA_TLS_MAX_SANS 32
/* Certificates in a served chain (leaf + intermediates). */
#define MA_TLS_MAX_CHAIN 8
/* Size of a PEM file we read (certificate chains, keys). */
#define MA_TLS_MAX_PEM_FILE (1024 * 1024)
/* Trust anchors in one CA bundle: kube's ca.crt holds 1-3; a full public bundle ~150. */
#define MA_TLS_MAX_ANCHORS 256
/* Client certificate chain kept per TLS connection for authentication: kube-apiserver's
 * front-proxy client sends 1-2 certificates of ~1 KiB; more is refused (401) rather than stored. */
#define MA_TLS_MAX_PEER_CERTS 4
#define MA_TLS_MAX_PEER_CHAIN_BYTES (16 * 1024)
/* A server's leaf certificate kept for the iPAddress SAN check (real ones are 1-4 KiB). */
#define MA_TLS_MAX_CERT_DER (64 * 1024)

/* HTTP client: response head (kube-apiserver's are < 1 KiB; same bound as request heads). */
#define MA_HTTP_CLIENT_MAX_HEAD (64 * 1024)
/* TCP connect + TLS handshake, when the caller gives no connect timeout. */
#define MA_HTTP_CLIENT_CONNECT_TIMEOUT_DEFAULT_MS 10000
/* Idle pooled connections are dropped after this, below the 60-90 s after which common servers
 * (nginx 75 s, Go 90 s) close them, so we rarely race a request against the server's close. */
#define MA_HTTP_CLIENT_IDLE_TIMEOUT_DEFAULT_MS 50000
/* Idle connections kept per client when the caller gives no number. */
#define MA_HTTP_CLIENT_MAX_IDLE_DEFAULT 2
/* Addresses kept from one name resolution (tried in order on connect failure). */
#define MA_NET_MAX_ADDRS 8
/* DNS (net/dns.h, net/resolv.h). A host name is at most 253 bytes in text (255 on the wire). */
#define MA_NET_DNS_MAX_NAME 253
/* A query: 12-byte header, the name (255), type and class. */
#define MA_NET_DNS_MAX_QUERY 288
/* Plain DNS over UDP is 512 bytes (RFC 1035 4.2.1; we send no EDNS0); a larger answer comes with
 * TC set and is asked again over TCP, whose messages carry a 16-bit length. */
#define MA_NET_DNS_UDP_MAX 512
#define MA_NET_DNS_TCP_MAX 65535
/* Address records taken from one reply: a Service has 1, a headless one a few dozen; only
 * MA_NET_MAX_ADDRS are kept, so more buys nothing. */
#define MA_NET_DNS_MAX_ANSWERS 16
/* CNAME hops followed in one reply (glibc and Go stop around 8-10; real chains have 1-3). */
#define MA_NET_DNS_MAX_CNAME 8
/* resolv.conf: 3 nameservers is glibc's and musl's MAXNS; kubelet allows 32 search domains
 * (ClusterFirst pods get 3 + the node's); ndots, timeout and attempts capped as glibc does. */
#define MA_NET_RESOLV_MAX_NS 3
#define MA_NET_RESOLV_MAX_SEARCH 32
#define MA_NET_RESOLV_MAX_NDOTS 15
#define MA_NET_RESOLV_MAX_TIMEOUT_S 30
#define MA_NET_RESOLV_MAX_ATTEMPTS 5
/* resolv.conf and hosts files we read: real ones are < 1 KiB (kubelet writes both). */
#define MA_NET_RESOLV_MAX_FILE (1024 * 1024)
/* Names in /etc/hosts we keep (kubelet writes ~8; Docker a few more). */
#define MA_NET_HOSTS_MAX_ENTRIES 4096
/* Host names cached at once: one per configured backend or cluster; the least recently used idle
 * entry is dropped beyond this. */
#define MA_NET_RESOLV_MAX_NAMES 64
/* Lookups waiting on one name (one per HTTP call that found no usable address). */
#define MA_NET_RESOLV_MAX_WAITERS 4096
/* TTL floor and ceiling: CoreDNS answers Services with 5 s; a smaller TTL would re-ask on every
 * call, a larger one than 5 min would keep a moved backend unreachable too long. */
#define MA_NET_RESOLV_TTL_MIN_S 5
#define MA_NET_RESOLV_TTL_MAX_S 300
/* How long a "no such host" answer is believed when its SOA gives no TTL, and the bounds on it. */
#define MA_NET_RESOLV_NEG_TTL_DEFAULT_S 5
#define MA_NET_RESOLV_NEG_TTL_MAX_S 30
/* After a refresh failed (timeout, SERVFAIL) the last good addresses are used this long before the
 * next refresh is tried. */
#define MA_NET_RESOLV_RETRY_MS 5000

/* Bearer token file (kube/kubeconfig.h): service-account JWTs are ~1 KiB, OIDC ID tokens a few
 * KiB; the token goes into every request head. */
#define MA_KUBE_MAX_BEARER_TOKEN (16 * 1024)

/* YAML (yaml/yaml.h): nesting of block and flow collections; kubeconfig nests 4 deep and
 * prometheus-adapter's config 5, and the reader recurses once per level. */
#define MA_YAML_MAX_DEPTH 32
/* YAML input: kubeconfigs with dozens of embedded certificates stay below 1 MiB. */
#define MA_YAML_MAX_INPUT (8 * 1024 * 1024)
/* Keys of the YAML mappings open at once (root to current node), kept for duplicate-key
 * detection: configuration mappings hold tens of keys. */
#define MA_YAML_MAX_OPEN_KEYS 1024

/* Open-Falcon client (backend/falcon_api.c) */
/* Tags in one counter: Falcon counters carry a handful; more means a broken CustomMetric. */
#define MA_FALCON_MAX_TAGS 32
/* A counter string: transfer refuses len(metric)+len(tags) > 510 (falcon.md 2.1), plus '/'. */
#define MA_FALCON_MAX_COUNTER 512
/* Pairs per request when the config leaves max_batch 0: keeps each lastpoint request and reply
 * small (~100 bytes per element) while a 100-pod HPA still costs one request. */
#define MA_FALCON_DEFAULT_BATCH 500
/* Chunk requests of one query in flight at once: a huge query must not open a connection per
 * chunk against one Falcon api. */
#define MA_FALCON_MAX_INFLIGHT 4
/* jsmn tokens allowed per requested pair in a reply (an element takes 11) and in addition (an
 * error object, a few unknown elements). */
#define MA_FALCON_TOKENS_PER_PAIR 16
#define MA_FALCON_TOKENS_EXTRA 256

/* Open-Falcon metric definitions (backend/falcon_def.c) */
/* Bytes of an endpoint (template source or rendered): Falcon's endpoint table column is
 * varchar(255). */
#define MA_FALCON_MAX_ENDPOINT 255
/* Literal runs plus placeholders of one template. */
#define MA_FALCON_TMPL_MAX_PARTS 32
/* Endpoints of one ExternalMetric, and the bytes they occupy together (NULs included). */
#define MA_FALCON_DEF_MAX_ENDPOINTS 64
#define MA_FALCON_DEF_ENDPOINT_POOL 4096
/* Longest "<plural>[.<group>]": a 63-byte plural, a dot, a 253-byte group. */
#define MA_FALCON_DEF_MAX_RESOURCE 317
/* The kubelet sets a container's hostname to at most 63 bytes (a DNS label). */
#define MA_FALCON_HOSTNAME_MAX 63

/* Authentication and authorization (auth/, issue 5). */
/* Entries of one list flag or ConfigMap key (header names, allowed names): real ones hold 1-3. */
#define MA_AUTH_MAX_LIST 16
/* Groups and extra keys of one user: kube users carry < 10 groups and 1-2 extras. */
#define MA_AUTH_MAX_GROUPS 64
#define MA_AUTH_MAX_EXTRAS 16
/* Cached TokenReview and SubjectAccessReview answers (direct-mapped tables: a collision costs one
 * more review, never a wrong answer). An HPA fleet uses a few dozen distinct SAR specs. */
#define MA_AUTH_TOKEN_CACHE_SLOTS 256
#define MA_AUTH_SAR_CACHE_SLOTS 1024
/* A TokenReview / SubjectAccessReview reply (kube's are < 2 KiB). */
#define MA_AUTH_MAX_REVIEW_BYTES (64 * 1024)
/* Time allowed for one review call; Go's webhook default is 10 s (30 s for the whole retry). */
#define MA_AUTH_REVIEW_TIMEOUT_MS 10000
/* Re-read of kube-system/extension-apiserver-authentication (CA rotation); kube-apiserver
 * rewrites it at most once a minute. */
#define MA_AUTH_CONFIG_RESYNC_MS 60000

/* ---- Prometheus wire (src/prom/) ---- */
/* One element of an /api/v1/series reply (one label set as JSON): real series carry 5-30 labels
 * of well under 1 KiB together; 32 KiB admits long label values (URLs, SQL) yet caps what one
 * element makes us hold, since the reply itself is never held whole. */
#define MA_PROM_MAX_SERIES_ELEMENT (32 * 1024)
/* Labels of one series or sample: Prometheus' default per-series label limit is unbounded, but
 * real exporters stay far below 64; 128 refuses only degenerate input. */
#define MA_PROM_MAX_LABELS 128
/* A whole /api/v1/query reply: a 10,000-sample vector with 10 labels each is ~3 MiB. */
#define MA_PROM_MAX_QUERY_REPLY_DEFAULT (8 * 1024 * 1024)
/* JSON tokens of one query reply: ~25 per sample of 10 labels, so ~2,600 samples; allocated per
 * parse, and only the pages used are touched. */
#define MA_PROM_QUERY_MAX_TOKENS 65536
/* Per-call deadline of a Prometheus request when --prometheus-timeout is not given. */
#define MA_PROM_TIMEOUT_DEFAULT_MS 10000
/* Extra header lines (--prometheus-header) and the bearer token together. */
#define MA_PROM_MAX_HEADER_BYTES 8192
/* Resource discovery (kube/resmap.h, issue 11): what the Prometheus rules name is learned from
 * kube-apiserver per API group, never by a full discovery of every group. */
/* API groups one adapter learns: a rules file names a handful (core, apps, batch, a CRD group). */
#define MA_KUBE_RESMAP_MAX_GROUPS 64
/* Top-level resources of one group version: core v1 has ~25 (~70 with subresources); the
 * largest CRD groups a few dozen. */
#define MA_KUBE_RESMAP_MAX_RESOURCES 256
/* Resource names one caller may require of one group (each override names one). */
#define MA_KUBE_RESMAP_MAX_WANTED 32
/* Names in discovery: a resource plural and a Kind are DNS-1035 labels (CRD validation), a
 * version a DNS label, a group a DNS subdomain (MA_KUBE_MAX_NAME). */
#define MA_KUBE_RESMAP_MAX_WORD 63
/* One discovery document: core v1's APIResourceList is ~6 KiB, a big CRD group's ~50 KiB. */
#define MA_KUBE_RESMAP_MAX_DOC (1024 * 1024)
/* jsmn tokens for one discovery document (a resource entry takes ~20 with its verbs). */
#define MA_KUBE_RESMAP_MAX_TOKENS (64 * 1024)
/* One discovery request; kube-apiserver answers in milliseconds. */
#define MA_KUBE_RESMAP_TIMEOUT_MS 30000
/* Default refresh of everything learned (new CRDs, a changed preferred version); prometheus-
 * adapter's --metrics-relist-interval default is the same 10 minutes. */
#define MA_KUBE_RESMAP_REFRESH_DEFAULT_MS (10 * 60 * 1000)
/* A failed (non-404) discovery is retried after this, not a full refresh later, so a start while
 * kube-apiserver hiccups becomes ready soon. */
#define MA_KUBE_RESMAP_RETRY_MS 15000
/* Regular expressions (base/regex.h). A pattern: rules files hold patterns of tens of bytes;
 * the =~ matchers built from object names hold a few hundred names of <= 253 bytes. */
#define MA_REGEX_MAX_PATTERN (128 * 1024)
/* Program instructions (one per rune, split, jump or save): bounds both compile and match memory
 * (RE2 refuses programs past its own size limit the same way). */
#define MA_REGEX_MAX_INST 65536
/* Capture groups of one pattern, and RE2's bound on a repeat count. */
#define MA_REGEX_MAX_GROUPS 256
#define MA_REGEX_MAX_REPEAT 1000
/* Nesting of groups and quantifiers: the parser and compiler recurse once per level (Go's
 * syntax package refuses nesting past 1000). */
#define MA_REGEX_MAX_DEPTH 1000
/* Submatch slots tracked by one match (instructions x slots): keeps a search's one allocation
 * under 8 MiB whatever the caller asks for. */
#define MA_REGEX_MAX_SLOTS (1 << 20)

/* prometheus-adapter templates (backend/prom_template.h): metricsQuery templates are a few
 * hundred bytes; 64 KiB, 4,096 parse nodes and 64 nested blocks leave a wide margin. */
#define MA_PROM_TMPL_MAX_SRC (64 * 1024)
#define MA_PROM_TMPL_MAX_NODES 4096
#define MA_PROM_TMPL_MAX_DEPTH 64
/* Variables in scope at once, and bytes of strings made by printf/print in one execution. */
#define MA_PROM_TMPL_MAX_VARS 64
#define MA_PROM_TMPL_MAX_SCRATCH (1024 * 1024)

/* prometheus-adapter config (backend/prom_config.h): real files are a few KiB with < 50 rules. */
#define MA_PROM_CONFIG_MAX_BYTES (1024 * 1024)
#define MA_PROM_CONFIG_MAX_RULES 1024
/* Label matchers of one query (metric selector requirements + namespace + resource). */
#define MA_PROM_MAX_MATCHERS 64

#endif
