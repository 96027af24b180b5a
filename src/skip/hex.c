/* SPDX-License-Identifier: BSD-3-Clause */
/* Hex encoding and strict decoding, in constant time per character so that
 * decoding key hex leaks nothing through branches on its digits. */
#include "config.h"
#include "hex.h"

/* Returns 0..15 for a hex digit, or a value with bit 8 set otherwise,
 * without branching on c. Every intermediate stays within 0..255 before the
 * "x - k >> 8" test, which is how a less-than is computed without a branch. */
static unsigned nibble(unsigned char c)
{
    unsigned num = c ^ 0x30u;                   /* '0'..'9' -> 0..9 */
    unsigned alpha = ((c & 0xdfu) + 0xbfu) & 0xffu; /* 'A'..'F','a'..'f' -> 0..5 */
    unsigned is_num = ((num - 10u) >> 8) & 1u;
    unsigned is_alpha = ((alpha - 6u) >> 8) & 1u;
    unsigned value = (num & (0u - is_num)) | ((alpha + 10u) & (0u - is_alpha));

    return value | ((1u ^ (is_num | is_alpha)) << 8);
}

bool skip_hex_valid(const char *hex, size_t len)
{
    unsigned bad = 0;

    if (len % 2 != 0)
        return false;
    for (size_t i = 0; i < len; i++)
        bad |= nibble((unsigned char)hex[i]);
    return (bad >> 8) == 0;
}

bool skip_hex_decode(const char *hex, size_t hexlen, unsigned char *out,
                     size_t outcap, size_t *outlen)
{
    unsigned bad = 0;

    if (hexlen % 2 != 0 || hexlen / 2 > outcap)
        return false;
    if (!skip_hex_valid(hex, hexlen))
        return false;
    for (size_t i = 0; i < hexlen / 2; i++) {
        unsigned hi = nibble((unsigned char)hex[2 * i]);
        unsigned lo = nibble((unsigned char)hex[2 * i + 1]);
        bad |= hi | lo;
        out[i] = (unsigned char)((hi << 4) | (lo & 0x0f));
    }
    if (outlen)
        *outlen = hexlen / 2;
    return (bad >> 8) == 0;
}

void skip_hex_encode(const unsigned char *data, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        unsigned hi = data[i] >> 4, lo = data[i] & 0x0f;
        /* 'a' - '0' - 10 = 39: add it only for nibbles above 9. */
        out[2 * i] = (char)('0' + hi + (((9 - hi) >> 8) & 39));
        out[2 * i + 1] = (char)('0' + lo + (((9 - lo) >> 8) & 39));
    }
    out[2 * len] = '\0';
}
