// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Empty programs on leakd's probe points: the cost of the traps alone. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("uprobe.multi")
int floor_enter(void *ctx)
{
	return 0;
}

SEC("uretprobe.multi")
int floor_exit(void *ctx)
{
	return 0;
}

SEC("uprobe.multi")
int floor_free(void *ctx)
{
	return 0;
}
