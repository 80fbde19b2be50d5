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

#include "leakd/events.h"

struct holds;

/*
 * A comm or a unit the daemon's rules name (the other empty), and whose rule
 * (LEAKD_RULE_ANY_OWNER: anyone's).
 */
struct hold_rule {
	char comm[16];
	char unit[LEAKD_UNIT_LEN];
	uint32_t owner;
};

/*
 * The most comms, and the most units, the kernel side holds processes for; more
 * rules attach after exec.
 */
#define HOLDS_MAX_RULES 256

/* The kernel side's maps holds works over (descriptors kept open by the caller). */
struct holds_maps {
	int holds;			/* held pids */
	int comms, units;		/* the rules' names */
	int cgroups;			/* the cgroups of the rules' units */
};
/* How long a process stays stopped at most, and an armed hold waits for code. */
#define HOLDS_MAX_NS 1000000000ULL

/* Over the kernel side's maps; starts the resumer process.  NULL with errno on failure. */
struct holds *holds__new(const struct holds_maps *maps);
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
 * The comms and units to hold processes for at fork and exec, replacing those
 * before; past HOLDS_MAX_RULES of a kind the rest are left out (returns how many
 * were).  A unit is every cgroup of that name and what is under it: those there
 * now are found here, those made later by the kernel side as they are made.
 */
int holds__set_rules(struct holds *h, const struct hold_rule *v, size_t n);

#endif
