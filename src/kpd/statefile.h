/* SPDX-License-Identifier: BSD-3-Clause */
/* Small files that must survive kill -9 whole: written to a temporary name,
 * fsync()ed, renamed over the old one, and the directory fsync()ed. */
#ifndef KPD_STATEFILE_H
#define KPD_STATEFILE_H

#include <stddef.h>

#include "skip/rc.h"

/* Replaces path with len bytes of data atomically and durably, mode 0600. */
skip_rc kpd_statefile_write(const char *path, const void *data, size_t len,
                            skip_err *err);

/* fsync()s the directory holding path, so a rename or create in it lasts. */
skip_rc kpd_statefile_sync_dir(const char *path, skip_err *err);

/* The port the listening socket fd is bound to, into *port, and written
 * to path as "PORT\n" when path is set (port_file, management_port_file:
 * port 0 in the config takes any free port, and this says which). */
skip_rc kpd_statefile_port(int fd, const char *path, unsigned *port,
                           skip_err *err);

#endif
