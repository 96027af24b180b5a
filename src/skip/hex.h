/* SPDX-License-Identifier: BSD-3-Clause */
/* Strict hex: even length, [0-9a-fA-F] only, no prefix, no spaces.
 * Encoding is always lower case (the form keyIds take on the wire). */
#ifndef SKIP_HEX_H
#define SKIP_HEX_H

#include <stdbool.h>
#include <stddef.h>

/* Decodes hexlen characters into out (room for outcap bytes). Returns false,
 * touching nothing past out[outcap), for odd length, a non-hex character or
 * too little room; *outlen gets the byte count on success. */
bool skip_hex_decode(const char *hex, size_t hexlen, unsigned char *out,
                     size_t outcap, size_t *outlen);

/* Writes 2*len lower-case characters and a NUL to out (2*len+1 bytes). */
void skip_hex_encode(const unsigned char *data, size_t len, char *out);

/* True when the len characters are all hex digits and len is even. */
bool skip_hex_valid(const char *hex, size_t len);

#endif
