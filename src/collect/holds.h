/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Processes the kernel side stopped (SIGSTOP at fork, exec or the loader's next
 * mapping of code) so that their probes go in before they run on: resuming them,
 * bounding how long one stays stopped, the comms of the daemon's rules that the
 * kernel side holds processes for, and the small process left behind at start
 * ("leakd-resume") that resumes whatever is still held when leakd ends, however
 * it ends (even by SIGKILL).
 */
#ifndef LEAKD_HOLDS_H
#define LEAKD_HOLDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct holds;

/* A comm the daemon's rules name, and whose rule (LEAKD_RULE_ANY_OWNER: anyone's). */
struct hold_comm {
	char comm[16];
	uint32_t owner;
};

/* The most comms the kernel side holds processes for; more rules attach after exec. */
#define HOLDS_MAX_COMMS 256
/* How long a process stays stopped at most, and an armed hold waits for code. */
#define HOLDS_MAX_NS 1000000000ULL

/*
 * Over the kernel side's holds and rule_comms maps (descriptors kept open by the
 * caller); starts the resumer process.  NULL with errno on failure.
 */
struct holds *holds__new(int holds_fd, int comms_fd);
/* Resumes every held process and ends the resumer.  Accepts NULL. */
void holds__free(struct holds *h);
/*
 * Resumes pid.  arm: it is to be stopped again at its next mapping of code (its
 * allocator is not mapped yet); else its hold ends.
 */
void holds__resume(struct holds *h, pid_t pid, bool arm);
/*
 * Resumes what has been stopped longer than HOLDS_MAX_NS (its record lost, or
 * never answered) and ends armed holds as old.  Returns how many processes it
 * resumed.
 */
int holds__expire(struct holds *h, uint64_t now_ns);
/* The resumer's pid (not a process to watch); 0: none. */
pid_t holds__resumer(const struct holds *h);
/* The processes held now (stopped), for status. */
uint64_t holds__count(const struct holds *h);
/*
 * The comms to hold processes for at fork and exec, replacing those before; past
 * HOLDS_MAX_COMMS the rest are left out (returns how many were).
 */
int holds__set_comms(struct holds *h, const struct hold_comm *v, size_t n);

#endif
