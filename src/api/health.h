#ifndef MA_API_HEALTH_H
#define MA_API_HEALTH_H

struct ma_api_req;

/* /healthz, /livez and /readyz as k8s.io/apiserver's healthz handlers answer them (spec 5.8):
 * 200 "ok", or with ?verbose one "[+]<check> ok" line per check and "<name> check passed"; on a
 * failed check 500 with "[-]<check> failed: reason withheld" lines and "<name> check failed".
 * Checks: ping (all three), and for /readyz also backend (the provider's ready()) and shutdown
 * (fails once graceful shutdown began). r->route.kind MUST be HEALTHZ, LIVEZ or READYZ. */
void ma_api_health_answer(struct ma_api_req *r);

/* /version: Go's version.Info, indented as k8s.io/apiserver's WriteRawJSON writes it:
 * {"major","minor","gitVersion","gitCommit","gitTreeState","buildDate","goVersion","compiler",
 * "platform"} from the MA_VERSION and MA_GIT_COMMIT build macros. */
void ma_api_health_version(struct ma_api_req *r);

/* /openapi/v2: {"swagger":"2.0","info":{"title":"metrics-adapter","version":"v<MA_VERSION>"},
 * "paths":{}}. kube-apiserver's OpenAPI aggregation downloads it for every APIService; a 404
 * there makes kube-apiserver (checked against v1.37) log an error and retry with back-off
 * forever, so an empty but valid document is served instead. */
void ma_api_health_openapi_v2(struct ma_api_req *r);

#endif
