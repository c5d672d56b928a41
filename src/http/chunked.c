#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "base/err.h"
#include "base/limits.h"
#include "http/chunked.h"

/* chunked-body = *chunk last-chunk trailer-section CRLF (RFC 9112 7.1)
 *   chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   last-chunk = 1*("0") [ chunk-ext ] CRLF
 *   chunk-ext  = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 * Extensions and trailer fields carry nothing we use, so they are bounded and skipped, not parsed.
 * Line ends may be a bare LF (RFC 9112 2.2), as the head parser allows; a bare CR is an error. */

/* The states are named for what the decoder waits for. */
enum {
    CH_SIZE,       /* hex digits of a chunk size */
    CH_SIZE_WS,    /* BWS after the size: ';' or the line end */
    CH_EXT,        /* chunk-ext bytes up to the line end */
    CH_SIZE_LF,    /* LF after the size line's CR */
    CH_DATA,       /* chunk-data: _left bytes */
    CH_DATA_CR,    /* CRLF after chunk-data */
    CH_DATA_LF,
    CH_TRAILER,    /* start of a trailer line, or the final empty line */
    CH_TRAILER_IN, /* inside a trailer field line */
    CH_TRAILER_LF, /* LF after a trailer line's CR */
    CH_END_LF,     /* LF of the final empty line */
    CH_DONE,
    CH_ERROR
};

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Field-value and chunk-ext bytes: HTAB, SP, VCHAR, obs-text (RFC 9110 5.5); no other CTL. */
static int is_text(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* see http/chunked.h */
void ma_http_chunked_init(struct ma_http_chunked *d)
{
    d->_state = CH_SIZE;
    d->_left = 0;
    d->_hexlen = 0;
    d->_extlen = 0;
}

/* A size line ended: data follows, or the trailer section for the last chunk. */
static int end_size_line(struct ma_http_chunked *d)
{
    d->_extlen = 0; /* the trailer section gets its own budget */
    return d->_left == 0 ? CH_TRAILER : CH_DATA;
}

/* One framing byte c in state d->_state: the next state, or CH_ERROR with *err set. */
static int step(struct ma_http_chunked *d, unsigned char c, int *err)
{
    int h;

    *err = MA_ERR_SYNTAX;
    switch (d->_state) {
    case CH_SIZE:
        if ((h = hex_value(c)) >= 0) {
            /* a digit that would overflow size_t is a size no peer can mean */
            if (d->_left > (SIZE_MAX >> 4))
                return CH_ERROR;
            d->_left = d->_left << 4 | (size_t)h;
            if (++d->_hexlen > MA_HTTP_MAX_CHUNK_LINE) /* leading zeros, endlessly */
                return *err = MA_ERR_LIMIT, CH_ERROR;
            return CH_SIZE;
        }
        if (d->_hexlen == 0)
            return CH_ERROR; /* 1*HEXDIG */
        /* the size ended: what may follow it */
        /* fall through */
    case CH_SIZE_WS:
    case CH_EXT:
        if (c == '\r')
            return CH_SIZE_LF;
        if (c == '\n')
            return end_size_line(d);
        if (d->_hexlen + ++d->_extlen > MA_HTTP_MAX_CHUNK_LINE)
            return *err = MA_ERR_LIMIT, CH_ERROR;
        if (d->_state == CH_EXT)
            return is_text(c) ? CH_EXT : CH_ERROR;
        if (c == ' ' || c == '\t')
            return CH_SIZE_WS;
        return c == ';' ? CH_EXT : CH_ERROR;
    case CH_SIZE_LF:
        return c == '\n' ? end_size_line(d) : CH_ERROR;
    case CH_DATA_CR:
        if (c == '\r')
            return CH_DATA_LF;
        /* a bare LF ends the data too */
        /* fall through */
    case CH_DATA_LF:
        if (c != '\n')
            return CH_ERROR;
        d->_hexlen = d->_extlen = 0;
        return CH_SIZE;
    case CH_TRAILER:
        if (c == '\r')
            return CH_END_LF;
        if (c == '\n')
            return CH_DONE;
        /* a trailer field line begins */
        /* fall through */
    case CH_TRAILER_IN:
        if (c == '\r')
            return CH_TRAILER_LF;
        if (c == '\n')
            return CH_TRAILER;
        if (++d->_extlen > MA_HTTP_MAX_CHUNK_LINE) /* the whole trailer section */
            return *err = MA_ERR_LIMIT, CH_ERROR;
        return is_text(c) ? CH_TRAILER_IN : CH_ERROR;
    case CH_TRAILER_LF:
        return c == '\n' ? CH_TRAILER : CH_ERROR;
    case CH_END_LF:
        return c == '\n' ? CH_DONE : CH_ERROR;
    }
    return CH_ERROR; /* CH_DATA, CH_DONE and CH_ERROR are handled by the caller */
}

/* see http/chunked.h */
int ma_http_chunked_decode(struct ma_http_chunked *d, char *buf, size_t *len)
{
    size_t r = 0, w = 0, n = *len;
    int err = MA_ERR_SYNTAX;

    if (d->_state == CH_ERROR) {
        *len = 0;
        return MA_ERR_SYNTAX;
    }
    if (n > INT_MAX) { /* the bytes after the body are counted in an int */
        *len = 0;
        d->_state = CH_ERROR;
        return MA_ERR_LIMIT;
    }
    while (r < n && d->_state != CH_DONE) {
        if (d->_state == CH_DATA) {
            size_t take = n - r < d->_left ? n - r : d->_left;
            /* in place: the framing already read keeps w <= r, so this moves bytes left */
            memmove(buf + w, buf + r, take);
            w += take;
            r += take;
            if ((d->_left -= take) == 0)
                d->_state = CH_DATA_CR;
            continue;
        }
        d->_state = step(d, (unsigned char)buf[r++], &err);
        if (d->_state == CH_ERROR) {
            *len = w;
            return err;
        }
    }
    *len = w;
    return d->_state == CH_DONE ? (int)(n - r) : MA_ERR_PARTIAL;
}
