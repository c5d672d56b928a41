#ifndef MA_API_STATUS_H
#define MA_API_STATUS_H

struct ma_json_w;

/* metav1.Status failure bodies (shared/spec/api-protocol.md 3). */

enum ma_api_details {
    MA_API_DETAILS_NONE,  /* "details" omitted (NewBadRequest, NewServiceUnavailable, ...) */
    MA_API_DETAILS_EMPTY, /* "details":{} (go-restful errors via NewGenericServerResponse) */
    MA_API_DETAILS_CAUSE  /* NewInternalError: message "Internal error occurred: <message>",
                             "details":{"causes":[{"message":"<message>"}]} */
};

struct ma_api_status {
    int code;           /* HTTP status, also the "code" field */
    const char *reason; /* StatusReason ("NotFound"); NULL omits the field */
    const char *message;
    enum ma_api_details details;
};

/* The Status for a failure reported by a provider (or by the API layer itself) as an HTTP status
 * and message: 400 BadRequest, 401 Unauthorized, 403 Forbidden, 404 NotFound, 405
 * MethodNotAllowed, 406 NotAcceptable, 429 TooManyRequests, 503 ServiceUnavailable, 504 Timeout
 * keep their code, no details; 500 and every other code become 500 InternalError in the cause
 * form. message is borrowed: it MUST outlive *st. */
void ma_api_status_for(int code, const char *message, struct ma_api_status *st);

/* Write the Status object, fields in Go's order:
 * {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"...",
 *  "reason":"...","details":{...},"code":N} */
void ma_api_status_write(struct ma_json_w *w, const struct ma_api_status *st);

#endif
