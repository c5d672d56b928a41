#include "api/status.h"

#include "base/err.h"
#include "json/write.h"

#include <stdio.h>

/* metav1.StatusReason names of apimachinery pkg/apis/meta/v1/types.go */
static const struct {
    int code;
    const char *reason;
} reasons[] = {
    {400, "BadRequest"},      {401, "Unauthorized"},       {403, "Forbidden"},
    {404, "NotFound"},        {405, "MethodNotAllowed"},   {406, "NotAcceptable"},
    {429, "TooManyRequests"}, {503, "ServiceUnavailable"}, {504, "Timeout"},
};

/* see api/status.h */
void ma_api_status_for(int code, const char *message, struct ma_api_status *st)
{
    size_t i;

    st->code = 500;
    st->reason = "InternalError";
    st->message = message;
    st->details = MA_API_DETAILS_CAUSE;
    for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        if (reasons[i].code == code) {
            st->code = code;
            st->reason = reasons[i].reason;
            st->details = MA_API_DETAILS_NONE;
        }
    }
}

/* see api/status.h */
void ma_api_status_write(struct ma_json_w *w, const struct ma_api_status *st)
{
    char msg[512]; /* causes are ma_errmsg texts (< MA_ERRMSG_SIZE) */

    if (st->details == MA_API_DETAILS_CAUSE)
        snprintf(msg, sizeof msg, "Internal error occurred: %s", st->message);
    ma_json_w_obj_begin(w);
    ma_json_w_key(w, "kind");
    ma_json_w_str(w, "Status");
    ma_json_w_key(w, "apiVersion");
    ma_json_w_str(w, "v1");
    ma_json_w_key(w, "metadata");
    ma_json_w_obj_begin(w);
    ma_json_w_obj_end(w);
    ma_json_w_key(w, "status");
    ma_json_w_str(w, "Failure");
    ma_json_w_key(w, "message");
    ma_json_w_str(w, st->details == MA_API_DETAILS_CAUSE ? msg : st->message);
    if (st->reason != NULL) {
        ma_json_w_key(w, "reason");
        ma_json_w_str(w, st->reason);
    }
    if (st->details != MA_API_DETAILS_NONE) {
        ma_json_w_key(w, "details");
        ma_json_w_obj_begin(w);
        if (st->details == MA_API_DETAILS_CAUSE) {
            ma_json_w_key(w, "causes");
            ma_json_w_arr_begin(w);
            ma_json_w_obj_begin(w);
            ma_json_w_key(w, "message");
            ma_json_w_str(w, st->message);
            ma_json_w_obj_end(w);
            ma_json_w_arr_end(w);
        }
        ma_json_w_obj_end(w);
    }
    ma_json_w_key(w, "code");
    ma_json_w_int(w, st->code);
    ma_json_w_obj_end(w);
}
