#ifndef MA_HTTP_CHUNKED_H
#define MA_HTTP_CHUNKED_H

#include <stddef.h>

/* Incremental decoder of "Transfer-Encoding: chunked" bodies (RFC 9112 7.1), in place and
 * without allocation (picohttpparser's phr_decode_chunked). Watch streams of kube-apiserver are
 * chunked and last for minutes, so the decoder is fed piece by piece forever. */
struct ma_http_chunked {
    /* private */
    int _state;
    size_t _left;     /* bytes left in the current chunk */
    size_t _hexlen;   /* digits of the current size line (bounded) */
    size_t _extlen;   /* bytes of chunk extensions / trailer line (bounded) */
};

void ma_http_chunked_init(struct ma_http_chunked *d);

/* Decode buf[0..*len) in place: on return buf[0..*len) holds the payload bytes found (the
 * framing removed). Returns MA_ERR_PARTIAL when more input is needed (all input consumed), or
 * >= 0 when the terminating zero-size chunk and trailers ended: the number of input bytes that
 * FOLLOW the body (left at the end of the original buffer, i.e. the start of the next response:
 * they begin at buf + original_len - returned value). MA_ERR_SYNTAX on malformed framing
 * (bad hex, size overflow, missing CRLF after data), MA_ERR_LIMIT on a size line (with its
 * extensions) or a trailer section longer than MA_HTTP_MAX_CHUNK_LINE (4 KiB). Line ends may be
 * CRLF or a bare LF (RFC 9112 2.2); a bare CR is MA_ERR_SYNTAX. Extensions and trailer fields are
 * skipped. On an error buf[0..*len) holds the payload decoded before the fault; the error is
 * sticky and the decoder MUST be re-initialised before reuse. Once the body has ended, further
 * calls decode nothing and return *len (all bytes follow the body). */
int ma_http_chunked_decode(struct ma_http_chunked *d, char *buf, size_t *len);

#endif
