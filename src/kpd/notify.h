/* SPDX-License-Identifier: BSD-3-Clause */
/* systemd's readiness and watchdog protocol (sd_notify(3)), without
 * libsystemd: a datagram to $NOTIFY_SOCKET. Nothing happens when the
 * variable is unset (not started by systemd, or Type=simple). */
#ifndef KPD_NOTIFY_H
#define KPD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* Sends state ("READY=1", "WATCHDOG=1", "STOPPING=1", ...); false if it
 * could not be sent (the caller logs nothing: systemd would say). */
bool kpd_notify(const char *state);

/* How often to send WATCHDOG=1, in milliseconds: half of WatchdogSec as
 * systemd passes it ($WATCHDOG_USEC, for our pid in $WATCHDOG_PID), or 0
 * when the watchdog is off. */
uint64_t kpd_notify_watchdog_ms(void);

#endif
