/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: skip-kpd.conf and the PSK file format. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kpd/kpd-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/skip-fuzz-psk-XXXXXX";
    kpd_config cfg = {0};
    skip_err err;
    char *text;
    int fd;

    text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* The config names files to read; a fuzzer naming /dev/stdin would
     * block, so configs that name a PSK file are left to the part below. */
    if (strstr(text, "psk_file") == NULL &&
        kpd_config_parse_string(text, "fuzz.conf", &cfg, &err) == SKIP_OK)
        kpd_config_clear(&cfg);
    /* The same bytes as a PSK file. */
    fd = mkstemp(path);
    if (fd >= 0) {
        if (write(fd, data, size) == (ssize_t)size) {
            memset(&cfg, 0, sizeof(cfg));
            cfg.psk_file = path;
            kpd_config_load_psks(&cfg, &err);
            cfg.psk_file = NULL;
            kpd_config_clear(&cfg);
        }
        close(fd);
        unlink(path);
    }
    free(text);
    return 0;
}
