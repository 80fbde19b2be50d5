/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Snapshots: every answer leakd gives (an ad-hoc report, and the daemon's status,
 * ps, top, trace, exited and errors) first gathered into plain data, then turned
 * into text, JSON or any other format by a renderer (present/render.h).  Nothing
 * here points into live tables: a snapshot owns what it holds, so that it can be
 * kept (exited summaries) and rendered later, in any format.
 */
#ifndef LEAKD_SNAPSHOT_H
#define LEAKD_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "leakd/events.h"
#include "base/cgroup.h"
#include "model/ages.h"
#include "model/history.h"
#include "model/tables.h"
#include "stacks/runtime.h"

/* The version of the JSON answers' layout, in their "schema" field. */
#define SNAPSHOT_SCHEMA 1

struct symbolizer;
struct report_row;

/* One description of a frame: the real function, or one inlined into it. */
struct frame_name {
	char *function;			/* NULL: unknown */
	uint64_t function_offset;	/* the real function's only */
	char *file;			/* NULL: unknown */
	int line, column;
};

struct frame_snap {
	uint64_t pc, offset;
	uint32_t flags;			/* LEAKD_FRAME_* */
	bool jit;
	char *module;			/* base name; NULL: in no mapping */
	char *module_path;
	char *build_id;
	struct frame_name real;
	struct frame_name *inlined;	/* innermost first */
	uint32_t nr_inlined;
};

struct stack_snap {
	uint64_t pid;
	char comm[16];
	bool show_proc;			/* text names the process (rows of many processes) */
	char unit[128];			/* its systemd unit, or ""; with show_proc */
	char container[CGROUP_ID_LEN + 1];	/* its container's id, or "" */
	enum level level;
	uint64_t id;
	uint32_t flags;			/* STACK_* and LEAKD_STACK_* */
	uint64_t bytes, count;		/* outstanding (old enough) */
	/* Sampled blocks among them: bytes and count are estimates with these standard errors. */
	uint64_t samples;
	double se_bytes, se_count;
	struct stack_stats stats;	/* of the stack at this level, ever (totals estimated
					 * where samples) */
	bool trace_ended;		/* heap level, tracing over: later frees unseen */
	bool has_trend;			/* its history says how it grows */
	struct trend trend;
	uint64_t trend_window_s;
	bool has_ages;
	bool age_histogram;		/* show ages.counts/bytes, not only oldest and median */
	bool has_owner;			/* mapping and brk rows: who owns the memory */
	enum runtime_kind owner;
	struct stack_ages ages;
	struct frame_snap *frames;
	uint32_t nr_frames;
	struct stack_frame *raw;	/* frames still to name (stack_list__name); NULL once
					 * named */
};

struct stack_list {
	struct stack_snap *v;
	size_t n;
};

/* Counters of the BPF side and the table losses of one process. */
struct loss_snap {
	uint64_t counters[LEAKD_CNT__COUNT];
	uint64_t missed_runs;
	struct proc_losses tables;
};

/* The ad-hoc report on one process. */
struct report_snap {
	time_t time;
	bool final;
	const char *reason;		/* static string; NULL for periodic reports */
	uint64_t pid;
	char comm[16];
	bool complete;
	uint64_t min_age_ns;
	uint64_t traced_ns;		/* how long the process has been traced; 0: unknown */
	uint64_t live_bytes, live_allocs, total_allocs, total_frees;
	/*
	 * Sampled (in the kernel, or by the process's own otel_memory probes): the
	 * figures above are estimates, with these standard errors.
	 */
	bool sampled;
	uint64_t sample_interval;	/* mean bytes between samples; 0: given by the weights */
	double live_bytes_se, live_allocs_se;
	uint64_t sampled_live;		/* sampled blocks live */
	uint64_t sampled_allocs;	/* samples ever recorded */
	struct proc_notes notes;
	uint64_t nr_stacks;
	struct loss_snap losses;
	bool from_start;		/* traced since the program started (leakd -- COMMAND) */
	struct stack_list heap;		/* allocator level, best first */
	/* Mapping level. */
	uint64_t map_bytes, map_count, reserved_bytes, brk_bytes;
	struct stack_list maps;
	struct stack_list brk;		/* heap growth (brk) by the call that grew it */
	/* Forked children followed (leakd -f): each its own report, in fork order. */
	uint64_t ppid;			/* a child's parent; 0: the first process */
	bool exited;			/* a child that has exited */
	bool follow;			/* children were followed: say so, even with none */
	struct report_snap *children;	/* only in the first process's report */
	size_t nr_children;
	uint64_t children_dropped;	/* children not followed: too many at once */
	uint64_t children_forgotten;	/* exited children whose reports went for room */
};

enum trace_kind {
	TRACE_KIND_NONE,
	TRACE_KIND_MANUAL,		/* leakctl trace PID */
	TRACE_KIND_RULE,		/* a rule (--comm/--unit) matched */
	TRACE_KIND_AUTO,		/* drill-down on steady growth */
	TRACE_KIND_ALL,			/* --trace-all */
	TRACE_KIND_SAMPLER,		/* its otel_memory probes, found by the daemon */
	TRACE_KIND__COUNT,
};
const char *trace_kind_name(enum trace_kind k);
/* "heap", "mapping", "brk". */
const char *level_name(enum level l);

/* How a level's rows are worded: the count's JSON key, its noun and verb in text. */
struct level_words {
	const char *count_key;		/* "allocs", "mappings", "extensions" */
	const char *count_text;		/* "allocations", "mappings", "extensions" */
	const char *did;		/* "allocated", "mapped", "grown" */
};
const struct level_words *level_words(enum level l);
/* The level a JSON "level" names; -1 for none. */
int level_of_name(const char *name);

/* Why a walk ended early: the flag, as text words it, as JSON names it. */
struct stack_note {
	uint32_t flag;
	const char *text, *name;
};
extern const struct stack_note stack_notes[];
extern const size_t nr_stack_notes;

#define STATUS_RULES 32		/* rules status lists */

struct status_snap {
	const char *version;
	uint64_t uptime_s;
	const char *uprobes, *syscalls;
	const char *sampling;		/* how sampled tracing runs (tracer__sample_mechanism) */
	uint64_t sample_bytes;		/* the default interval of pid traces and drill-down */
	bool eh_frame;			/* unwinding by tables, else by frame pointers */
	uint64_t watched, traced, traced_by[TRACE_KIND__COUNT], exited_kept;
	struct {
		bool on;
		uint64_t bytes, window_s, for_s, max, started;
		uint64_t excluded;	/* times a process was left alone: drilldown-exclude */
	} drilldown;
	struct {
		uint64_t done;		/* samplers injected (trace --inject) */
		uint64_t refused;	/* ... refused as unsafe, or failed */
		uint64_t waiting;	/* threads still to be let go (a call past its deadline) */
		uint64_t lost;		/* ... too many to follow: traced until the daemon ends */
	} inject;
	struct {
		uint64_t records, bad, unknown_pid;
		uint64_t map_exec, map_exec_covered;	/* code mapped; covered by a read since */
	} events;
	uint64_t counters[LEAKD_CNT__COUNT];
	uint64_t missed_runs;
	struct {
		uint64_t allocs, allocs_limit, allocs_dropped;
		uint64_t stacks, stacks_limit, stacks_merged;
		uint64_t mappings, mappings_limit, mappings_dropped;
	} tables;
	struct {
		uint64_t procs_dropped, procs_limit, traces_refused, traced_limit;
		uint64_t unwind_skipped, exited_evicted, exited_limit;
	} limits;
	struct {
		uint64_t count, limit, added, extended, refused, expired, removed;
		/* The asker's rules (root: everyone's), the first STATUS_RULES of them. */
		struct status_rule {
			char comm[16];
			char unit[256];
			uint32_t owner;
			uint64_t sample_bytes;	/* 0: exact */
			uint64_t left_s;	/* until it ends; 0 with forever */
			bool forever;
		} list[STATUS_RULES];
		uint64_t listed;	/* in list */
		uint64_t mine;		/* the asker's, listed or not */
	} rules;
	/*
	 * The event budget: what traced processes sent in the last second, and the
	 * factor their sampled traces, and processes that report through leakd's own
	 * sampler, are widened by to keep within it.  Exact traces and other emitters
	 * of the otel_memory probes are counted, never widened.
	 */
	struct {
		uint64_t limit;			/* events/s; 0: off */
		uint64_t rate;			/* events/s, all traced processes */
		uint64_t sampled_rate;		/* ... of the sampled ones and leakd's samplers */
		uint64_t exempt_rate;		/* ... of the exact ones and other samplers */
		uint64_t factor;		/* sampled intervals times this; 1: as asked */
		bool exceeded;			/* rate over limit */
		bool by_exempt;			/* exempt_rate alone over limit */
		uint64_t samplers_paced;	/* traced through leakd's sampler: widened */
		uint64_t samplers_fixed;	/* ... through another emitter: not */
		uint64_t pace_failed;		/* samplers' factors that could not be written */
	} budget;
	struct {
		const char *how;	/* tracer__hold_mechanism: held at fork and exec, or why not */
		uint64_t held, skipped;	/* processes held so far; holds left out */
		uint64_t now;		/* held at this moment */
	} holds;
	struct {
		uint64_t tables, from_cache, pending, failed, no_room, evicted, rows, rows_limit;
		uint64_t maps_dropped, procs_dropped, files_dropped;
		const char *cache;		/* the cache's state: "ok", "off", what is wrong */
		uint64_t cache_mismatches;	/* entries built from another file: rebuilt */
		uint64_t cache_refused;		/* cache files not root's alone: not read */
		uint64_t cache_save_failed;	/* tables not saved (read-only, full ...) */
	} unwind;
	struct {
		uint64_t modules, unreadable, dropped;
	} symbols;
	struct {
		uint64_t connected, limit, refused, requests, bad_requests, dropped;
		uint64_t refused_share;		/* of refused: the user held its share already */
		uint64_t timed_out;		/* of dropped: past a request's deadline */
		const char *socket;
		bool socket_group;		/* its group may connect, else root only */
	} clients;
	struct {
		const char *listen;		/* NULL: off */
		uint64_t requests, bad_requests, refused, timed_out;
	} metrics;
	struct {
		uint64_t series, limit, dropped, bytes;	/* stack histories */
	} history;
	struct {
		double cpu_s;
		uint64_t rss_bytes, tables_bytes;
		uint64_t bpf_map_bytes;		/* held by the kernel for its BPF maps */
		uint64_t bpf_mapped_bytes;	/* ... of them mapped into it: in rss too */
		uint64_t ringbuf_bytes;		/* the ring buffer the programs write to */
	} daemon;
	/* What this daemon took from the one before it on the socket (leakd(8), RESTART). */
	struct restart_snap {
		const char *previous;		/* "none", "clean stop", "crash" (no clean stop:
						 * what it held in memory is lost) */
		const char *state;		/* the state file: "none", "loaded", or why not */
		bool taken_over;		/* its pinned maps and links */
		uint64_t procs, allocs;		/* traced processes and live blocks taken over */
		uint64_t procs_gone;		/* saved processes that left meanwhile */
		uint64_t procs_lost;		/* saved, could not be taken over: traced afresh */
		uint64_t events;		/* records drained that arrived meanwhile */
		uint64_t lost;			/* records the kernel dropped meanwhile */
		uint64_t rules, exits;		/* trace rules and exit summaries restored */
		uint64_t released;		/* stale handovers released at the start */
	} restart;
};

struct ps_row {
	uint64_t pid;
	uint32_t uid;
	char comm[16];
	char unit[128];
	char cgroup[256];
	char container[CGROUP_ID_LEN + 1];	/* "": not in a container */
	uint64_t rss_bytes, anon_bytes, mapped_bytes, heap_bytes;
	uint64_t reserved_bytes;	/* address space without committed memory */
	double growth_per_hour;
	enum trend_class growth;	/* TREND_UNKNOWN: too little history for a rate */
	bool growth_in_known;		/* the mappings that grow have an owner */
	enum runtime_kind growth_in;	/* whose memory grows most (V8 heap, native heap, ...) */
	enum trace_kind traced;
	const char *sampling;		/* traced: "sampler" (its otel_memory probes),
					 * "sampled" (in the kernel), "exact"; else "-" */
	uint64_t sample_bytes;		/* "sampled", and "sampler" when it is leakd's:
					 * mean bytes between samples, asked */
	uint64_t interval_bytes;	/* ... in force: sample_bytes, or wider while the
					 * event budget is exceeded */
	bool sampler_fixed;		/* "sampler" that is not leakd's: its interval is
					 * its own, the budget cannot widen it */
	uint64_t events_per_s;		/* traced: what it sent over the budget's last step */
	const char *unwind;		/* "ready", "pending", "none" */
	uint64_t traced_live_bytes;
};

struct ps_snap {
	uint64_t growth_window_s;
	struct ps_row *rows;
	size_t n;
};

struct top_snap {
	uint64_t processes;
	bool by_growth;
	uint64_t window_s;		/* of the trends, when by_growth */
	uint64_t since_s;		/* only what was allocated in the last since_s; 0: all */
	struct stack_list stacks;
};

struct trace_snap {
	bool on;			/* trace, else untrace */
	bool by_pid;
	char what[300];			/* "pid N", "name X", "unit U" */
	uint64_t *pids;
	size_t n;
	uint64_t rules, refused, denied, duration_s;
	int64_t got_entries;		/* trace --inject: GOT entries pointed at the sampler;
					 * untrace: pointed back; -1: no injection */
	char why[256];			/* why an injection was refused or failed */
};

/* What a process left behind when it exited. */
struct exit_snap {
	uint64_t pid;
	char comm[16];
	uint32_t uid;
	time_t exited;
	bool traced;			/* it was traced when it exited */
	uint64_t heap_bytes, heap_allocs, map_bytes;
	struct stack_list stacks;	/* best few per level */
};

struct exited_snap {
	const struct exit_snap **v;	/* newest first; not owned */
	size_t n;
};

/* The daemon's metrics: its status and its processes, best first (top rows only). */
struct metrics_snap {
	const struct status_snap *status;
	const struct ps_snap *ps;
	size_t top;			/* rows of ps shown */
};

struct diff_snap;

/* The series of a process's memory over time in a timeline. */
enum timeline_value {
	TL_RSS,
	TL_ANON,
	TL_HEAP,
	TL_TRACED,
	TL_FILE,			/* resident file-backed pages */
	TL__VALUES,
};

/* A stack's live bytes at each point of a timeline. */
struct timeline_row {
	char *name;			/* its function */
	enum level level;
	int64_t growth;			/* bytes an hour */
	uint64_t *bytes;		/* one per point */
};

/* A process's memory over time, and its top growing stacks under it. */
struct timeline_snap {
	uint64_t pid;
	char comm[16];
	uint64_t window_s;		/* of the stacks' trends */
	int64_t wall_start;		/* epoch seconds of the first point */
	size_t n;			/* points */
	uint64_t *t_ms;			/* since the first point */
	uint64_t *values[TL__VALUES];	/* one per point each */
	struct timeline_row *rows;
	size_t nr_rows;
};

void timeline_snap__free(struct timeline_snap *t);

/* A saved snapshot, as a list of them shows it. */
struct saved_snap {
	char name[64];
	time_t saved;
	uint64_t size;			/* bytes of its file */
};

struct saved_list_snap {
	const struct saved_snap *v;
	size_t n;
	uint32_t limit;			/* how many a user may keep */
};

struct error_snap {
	char message[512];
};

enum snapshot_kind {
	SNAP_REPORT,
	SNAP_STATUS,
	SNAP_PS,
	SNAP_TOP,
	SNAP_TRACE,
	SNAP_EXITED,
	SNAP_ERROR,
	SNAP_METRICS,
	SNAP_DIFF,
	SNAP_SAVED,			/* the saved snapshots */
	SNAP_TIMELINE,
};

/* One answer, whatever its kind: what a renderer takes. */
struct snapshot {
	enum snapshot_kind kind;
	bool short_names;		/* text: names without template arguments, parameters */
	union {
		const struct report_snap *report;
		const struct status_snap *status;
		const struct ps_snap *ps;
		const struct top_snap *top;
		const struct trace_snap *trace;
		const struct exited_snap *exited;
		const struct error_snap *error;
		const struct metrics_snap *metrics;
		const struct diff_snap *diff;
		const struct saved_list_snap *saved;
		const struct timeline_snap *timeline;
	};
};

/*
 * One ranked row, symbolized now into data that outlives the tables: appended to
 * list.  -ENOMEM on failure (list unchanged).  Without a symbolizer (s NULL) its
 * frames are kept as they are, to be named by stack_list__name when the list is
 * shown: naming reads symbols and DWARF, which a list nobody asks for never needs.
 */
int stack_list__add(struct stack_list *list, struct symbolizer *s, const struct report_row *r,
		    bool with_proc);
/* Names the frames of the list's stacks that were kept unnamed; -ENOMEM on failure. */
int stack_list__name(struct stack_list *list, struct symbolizer *s);
void stack_list__free(struct stack_list *list);

void report_snap__free(struct report_snap *r);
void exit_snap__free(struct exit_snap *e);

#endif
