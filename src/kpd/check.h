/* SPDX-License-Identifier: BSD-3-Clause */
/* What a start of skip-kpd will read and write, checked without writing:
 * --check-config runs it (as the unit's user, from ExecStartPre), and so
 * does every start, before it serves. */
#ifndef KPD_CHECK_H
#define KPD_CHECK_H

#include "kpd-config.h"

/* SKIP_OK, or SKIP_E_CONFIG with the first problem: state_dir, the
 * directories of port_file and management_port_file writable, audit_file
 * (or its directory) writable, entropy_file and the management listener's
 * certificate, key and client CA readable, the certificate, key and client
 * CA loadable (tls = cert), the key source's files (prf: each secret file
 * parses and may be rewritten). */
skip_rc kpd_check_files(const kpd_config *cfg, skip_err *err);

#endif
