// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * leakctl: asks the leakd daemon over its control socket and prints the answer.
 * The daemon renders text, JSON or a profile; leakctl builds requests and checks
 * replies.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "leakd/protocol.h"
#include "leakd/sampling.h"
#include "base/units.h"
#include "present/diff.h"
#include "present/render.h"
#include "present/stackload.h"
#include "serve/snapstore.h"
#include "version.h"

/* Exit codes, documented in leakctl(1). */
enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,	/* the daemon answered with an error */
	EXIT_USAGE = 2,
	EXIT_PERM = 3,		/* not permitted (socket or request) */
	EXIT_NO_DAEMON = 4,	/* no daemon listening */
	EXIT_PROTOCOL = 5,	/* a reply leakctl does not understand */
	EXIT_INJECT = 6,	/* trace --inject refused: the sampler cannot be loaded safely */
};

static const char *socket_path = LEAKD_SOCKET_PATH;
static enum leakd_format format = LEAKD_FORMAT_TEXT;

/* --format's names, as the protocol numbers them. */
static int set_format(const char *name)
{
	static const struct {
		const char *name;
		enum leakd_format format;
	} formats[] = {
		{ "text", LEAKD_FORMAT_TEXT },
		{ "json", LEAKD_FORMAT_JSON },
		{ "pprof", LEAKD_FORMAT_PPROF },
		{ "folded", LEAKD_FORMAT_FOLDED },
		{ "svg", LEAKD_FORMAT_SVG },
	};
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (!strcmp(formats[i].name, name)) {
			format = formats[i].format;
			return 0;
		}
	}
	return -1;
}

static bool short_names;
static const char *output;		/* export's -o FILE; NULL: standard output */

/* A profile format: export's only, and export takes no other. */
static bool profile_format(void)
{
	return format >= LEAKD_FORMAT_PPROF;
}

static void usage(FILE *f)
{
	fputs("Usage: leakctl [--json] [--format FORMAT] [--short-names] [--socket PATH] COMMAND "
	      "[ARGS]\n"
	      "\n"
	      "Commands:\n"
	      "  status                  the daemon: kernel features, processes, drops, its cost\n"
	      "  ps [-n N]               processes by memory growth, how each is traced (the\n"
	      "                          interval in force) and the events it sends\n"
	      "  top [SELECTOR] [-n N] [--level heap|mapping|all] [--min-age DURATION]\n"
	      "      [--since DURATION] [--by bytes|growth] [--window DURATION] [--ages]\n"
	      "                          the stacks that hold the most outstanding memory,\n"
	      "                          or that grow the most\n"
	      "  trace SELECTOR [--for DURATION] [--sample SIZE | --exact]\n"
	      "                          trace the allocator of these processes, and by a\n"
	      "                          name or unit those that start later: sampled every\n"
	      "                          SIZE bytes on average (default 512K), or every call\n"
	      "                          with --exact\n"
	      "  trace PID --inject [--for DURATION] [--sample SIZE]\n"
	      "                          load the in-process sampler into the running\n"
	      "                          process (ptrace, no restart) and trace through it;\n"
	      "                          SIZE from 1 byte (every allocation)\n"
	      "  untrace SELECTOR        stop it (an injected sampler: its GOT entries back)\n"
	      "  exited [-n N]           what recently exited processes left allocated\n"
	      "  export --format pprof|folded|svg [SELECTOR] [--level heap|mapping] [-o FILE]\n"
	      "      [--by bytes|growth] [--window DURATION]\n"
	      "                          every stack of top at one level as a profile\n"
	      "  snapshot save NAME [SELECTOR] [--level heap|mapping|all]\n"
	      "                          keep the stacks of now under a name\n"
	      "  snapshot list | snapshot delete NAME\n"
	      "  timeline PID [-n N] [--window DURATION] [-o FILE]\n"
	      "                          its memory over time and its top growing stacks:\n"
	      "                          a table, JSON, or an SVG chart (-o FILE, --format svg)\n"
	      "  diff A B [SELECTOR] [-n N] [--level heap|mapping|all]\n"
	      "                          what grew and shrank from A to B: snapshot names or\n"
	      "                          now, or two JSON files (reports of leakd -o, answers)\n"
	      "\n"
	      "SELECTOR: PID, --pid PID, --comm NAME (as in /proc/PID/comm), --unit UNIT\n"
	      "(a systemd unit) or, for top, --cgroup PATH (a cgroup and those under it).\n"
	      "A name or unit also traces processes that start later.\n"
	      "DURATION: a number with a unit: ms, s, m, h, d (a bare number is seconds).\n"
	      "A command's options and PID go in any order; --json, --format,\n"
	      "--short-names and --socket may follow the command too.\n"
	      "\n"
	      "Options:\n"
	      "      --json              answers as JSON\n"
	      "      --format FORMAT     answers as text or json (default text); export:\n"
	      "                          pprof, folded or svg\n"
	      "      --short-names       text: function names without template arguments\n"
	      "                          and parameter lists (JSON keeps them whole)\n"
	      "  -s, --socket PATH       the daemon's socket (default " LEAKD_SOCKET_PATH ")\n"
	      "  -h, --help              show this help\n"
	      "  -V, --version           show the version\n"
	      "\n"
	      "Exit status: 0 done, 1 the daemon refused, 2 bad arguments, 3 not permitted,\n"
	      "4 no daemon, 5 protocol error, 6 --inject refused (static, seccomp, ptrace,\n"
	      "traced already, sampler there).  See leakctl(1).\n",
	      f);
}

static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "leakctl: %s (see leakctl --help)\n", msg);
	return EXIT_USAGE;
}

static bool full_io(int fd, void *buf, size_t len, bool out)
{
	char *p = buf;

	while (len) {
		/* No SIGPIPE: a daemon that hung up may have said why first. */
		ssize_t n = out ? send(fd, p, len, MSG_NOSIGNAL) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/* The answer to FILE, binary safe, created only once the daemon answered. */
static int write_file(const char *path, const char *body, size_t len)
{
	FILE *f = fopen(path, "we");

	if (!f || fwrite(body, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "leakctl: cannot write %s: %s\n", path, strerror(errno));
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

/* Sends one request and prints the answer; returns the exit status. */
static int ask(uint16_t cmd, const void *payload, uint32_t len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct leakd_req_hdr h = { .magic = LEAKD_PROTO_MAGIC, .version = LEAKD_PROTO_VERSION,
				   .command = cmd, .length = len,
				   .format = format,
				   .flags = short_names ? LEAKD_REQ_SHORT_NAMES : 0 };
	struct leakd_resp_hdr r;
	char *body;
	int fd, rc;

	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return usage_error("socket path too long: %s", socket_path);
	memcpy(addr.sun_path, socket_path, strlen(socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		int err = errno;

		fprintf(stderr, "leakctl: cannot reach leakd at %s: %s\n", socket_path,
			strerror(err));
		if (fd >= 0)
			close(fd);
		return err == EACCES || err == EPERM ? EXIT_PERM : EXIT_NO_DAEMON;
	}
	/* Even when the request cannot be sent whole, an answer may wait: read it. */
	if (full_io(fd, &h, sizeof(h), true) && len)
		full_io(fd, (void *)payload, len, true);
	if (!full_io(fd, &r, sizeof(r), false)) {
		fprintf(stderr, "leakctl: leakd hung up\n");
		close(fd);
		return EXIT_PROTOCOL;
	}
	if (r.magic != LEAKD_PROTO_MAGIC || r.version != LEAKD_PROTO_VERSION ||
	    r.length > LEAKD_RESP_MAX) {
		fprintf(stderr, "leakctl: not a reply leakctl understands\n");
		close(fd);
		return EXIT_PROTOCOL;
	}
	body = malloc(r.length + 1);
	if (!body || !full_io(fd, body, r.length, false)) {
		fprintf(stderr, "leakctl: the reply was cut short\n");
		free(body);
		close(fd);
		return EXIT_PROTOCOL;
	}
	close(fd);
	body[r.length] = 0;
	if (r.status == LEAKD_OK && output) {
		rc = write_file(output, body, r.length);
	} else if (r.status == LEAKD_OK) {
		fwrite(body, 1, r.length, stdout);
		rc = fflush(stdout) ? EXIT_REFUSED : EXIT_OK;
	} else {
		/* Errors go to stderr as text; as JSON to stdout, where scripts read. */
		if (format == LEAKD_FORMAT_JSON)
			fwrite(body, 1, r.length, stdout);
		else
			fprintf(stderr, "leakctl: %s", body);
		rc = r.status == LEAKD_ERR_PERM ? EXIT_PERM :
		     r.status == LEAKD_ERR_INJECT ? EXIT_INJECT : EXIT_REFUSED;
	}
	free(body);
	return rc;
}

struct cmd_opts {
	struct leakd_selector sel;
	uint32_t limit;
	bool limit_set;			/* -n given: 0 means all */
	uint32_t level;
	bool level_given;
	uint64_t min_age_ns, duration_ns;
	uint32_t mode;			/* enum leakd_trace_mode */
	uint64_t sample_bytes;
	uint64_t since_ns, window_ns;
	uint32_t by;			/* enum leakd_top_by */
	bool ages;
	bool inject;
};

enum {
	O_PID = 256, O_COMM, O_UNIT, O_LEVEL, O_MIN_AGE, O_FOR, O_JSON, O_FORMAT, O_SHORT_NAMES,
	O_SOCKET, O_OUTPUT, O_CGROUP, O_BY, O_WINDOW, O_SINCE, O_AGES, O_SAMPLE, O_EXACT,
	O_INJECT
};

/* Whether name is one of the space-separated words of allow. */
static bool allowed(const char *allow, const char *name)
{
	size_t n = strlen(name);
	const char *p = allow;

	while ((p = strstr(p, name))) {
		if ((p == allow || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

static int parse_duration_arg(const char *arg, bool nonzero, uint64_t *ret)
{
	if (parse_duration(arg, ret) || (nonzero && !*ret) || *ret > LEAKD_DURATION_MAX)
		return usage_error("invalid duration '%s' (at most ten years)", arg);
	return 0;
}

/*
 * Parses a command's own options and its operand (a bare PID), in any order: what
 * it allows is in the allow string.  The options before the command (--json,
 * --socket) may come after it too.
 */
static int parse_cmd(int argc, char **argv, struct cmd_opts *c, const char *allow)
{
	static const struct option lo[] = {
		{ "pid", required_argument, NULL, O_PID },
		{ "comm", required_argument, NULL, O_COMM },
		{ "unit", required_argument, NULL, O_UNIT },
		{ "level", required_argument, NULL, O_LEVEL },
		{ "min-age", required_argument, NULL, O_MIN_AGE },
		{ "for", required_argument, NULL, O_FOR },
		{ "sample", required_argument, NULL, O_SAMPLE },
		{ "exact", no_argument, NULL, O_EXACT },
		{ "inject", no_argument, NULL, O_INJECT },
		{ "json", no_argument, NULL, O_JSON },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "short-names", no_argument, NULL, O_SHORT_NAMES },
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "output", required_argument, NULL, O_OUTPUT },
		{ "limit", required_argument, NULL, 'n' },
		{ "cgroup", required_argument, NULL, O_CGROUP },
		{ "by", required_argument, NULL, O_BY },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "since", required_argument, NULL, O_SINCE },
		{ "ages", no_argument, NULL, O_AGES },
		{ 0 },
	};
	bool pid_operand = false;
	uint64_t v;
	int ch, err;

	memset(c, 0, sizeof(*c));
	optind = 0;		/* 0: glibc reads the new optstring's ordering mode */
	opterr = 0;
	/* "-": operands come back in place (as 1), whatever POSIXLY_CORRECT says. */
	while ((ch = getopt_long(argc, argv, "-:n:s:o:", lo, NULL)) != -1) {
		const char *name = ch == 'n' ? "n" : ch == 'o' ? "o" : NULL;

		for (size_t k = 0; !name && lo[k].name; k++)
			if (lo[k].val == ch)
				name = lo[k].name;

		if (ch == '?' || ch == ':')
			return usage_error(ch == ':' ? "option %s needs an argument" :
						       "unknown option %s",
					   argv[optind - 1]);
		if (ch == 1) {
			/* A bare PID is a selector too; one, given once. */
			if (!allowed(allow, "pid") || pid_operand)
				return usage_error("unexpected argument '%s'", optarg);
			if (parse_u64(optarg, 1, LEAKD_PID_MAX, &v))
				return usage_error("invalid pid '%s'", optarg);
			if (c->sel.pid)
				return usage_error("give one pid");
			c->sel.pid = v;
			pid_operand = true;
			continue;
		}
		if (ch == O_JSON) {
			format = LEAKD_FORMAT_JSON;	/* after the command as well as before it */
			continue;
		}
		if (ch == O_FORMAT) {
			if (set_format(optarg))
				return usage_error("invalid format '%s' (text, json, pprof, folded "
						   "or svg)", optarg);
			continue;
		}
		if (ch == O_SHORT_NAMES) {
			short_names = true;
			continue;
		}
		if (ch == 's' || ch == O_SOCKET) {
			socket_path = optarg;
			continue;
		}
		if (!allowed(allow, name))
			return usage_error("option %s%s does not go with this command",
					   ch == 'n' ? "-" : "--", name);
		switch (ch) {
		case 'o':
		case O_OUTPUT:
			if (!*optarg)
				return usage_error("invalid file name ''");
			output = optarg;
			break;
		case 'n':
			if (parse_u64(optarg, 0, allowed(allow, "top") ? LEAKD_TOP_MAX : UINT32_MAX,
				      &v))
				return usage_error("invalid number '%s'%s", optarg,
						   allowed(allow, "top") ? " (at most 65536)" : "");
			c->limit = v;
			c->limit_set = true;
			break;
		case O_PID:
			if (parse_u64(optarg, 1, LEAKD_PID_MAX, &v))
				return usage_error("invalid pid '%s'", optarg);
			if (c->sel.pid)
				return usage_error("give one pid");
			c->sel.pid = v;
			break;
		case O_COMM:
			if (!*optarg || strlen(optarg) >= sizeof(c->sel.comm))
				return usage_error("invalid process name '%s' (1 to 15 bytes)",
						   optarg);
			memcpy(c->sel.comm, optarg, strlen(optarg) + 1);
			break;
		case O_UNIT:
			if (!*optarg || strlen(optarg) >= sizeof(c->sel.unit))
				return usage_error("invalid unit '%s'", optarg);
			memcpy(c->sel.unit, optarg, strlen(optarg) + 1);
			break;
		case O_LEVEL:
			if (!strcmp(optarg, "all"))
				c->level = LEAKD_LEVEL_ALL;
			else if (!strcmp(optarg, "heap"))
				c->level = LEAKD_LEVEL_HEAP;
			else if (!strcmp(optarg, "mapping"))
				c->level = LEAKD_LEVEL_MAP;
			else
				return usage_error("invalid level '%s' (heap, mapping or all)", optarg);
			c->level_given = true;
			break;
		case O_MIN_AGE:
		case O_FOR:
			err = parse_duration_arg(optarg, ch == O_FOR, &v);
			if (err)
				return err;
			*(ch == O_FOR ? &c->duration_ns : &c->min_age_ns) = v;
			break;
		case O_SAMPLE:
			/* From 1 byte with --inject, which may come later: checked at the end. */
			if (parse_size(optarg, &v) || v < LEAKD_INJECT_SAMPLE_MIN ||
			    v > LEAKD_SAMPLE_MAX)
				return usage_error("invalid sampling interval '%s' (16 to 1G "
						   "bytes, from 1 with --inject)", optarg);
			if (c->mode == LEAKD_TRACE_EXACT)
				return usage_error("give one of --sample and --exact");
			c->mode = LEAKD_TRACE_SAMPLED;
			c->sample_bytes = v;
			break;
		case O_EXACT:
			if (c->mode == LEAKD_TRACE_SAMPLED)
				return usage_error("give one of --sample and --exact");
			c->mode = LEAKD_TRACE_EXACT;
			break;
		case O_WINDOW:
		case O_SINCE:
			if (parse_duration(optarg, &v) || !v || v > LEAKD_DURATION_MAX)
				return usage_error("invalid duration '%s'", optarg);
			*(ch == O_WINDOW ? &c->window_ns : &c->since_ns) = v;
			break;
		case O_CGROUP:
			if (optarg[0] != '/' || strlen(optarg) >= sizeof(c->sel.cgroup))
				return usage_error("invalid cgroup '%s' (a path from /)", optarg);
			memcpy(c->sel.cgroup, optarg, strlen(optarg) + 1);
			break;
		case O_BY:
			if (!strcmp(optarg, "bytes"))
				c->by = LEAKD_TOP_BY_BYTES;
			else if (!strcmp(optarg, "growth"))
				c->by = LEAKD_TOP_BY_GROWTH;
			else
				return usage_error("invalid ranking '%s' (bytes or growth)", optarg);
			break;
		case O_AGES:
			c->ages = true;
			break;
		case O_INJECT:
			c->inject = true;
			break;
		}
	}
	if (optind < argc)	/* after "--" */
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (c->mode == LEAKD_TRACE_SAMPLED && c->sample_bytes < LEAKD_SAMPLE_MIN && !c->inject)
		return usage_error("invalid sampling interval '%llu' (16 to 1G bytes, from 1 with "
				   "--inject)", (unsigned long long)c->sample_bytes);
	if (!!c->sel.pid + !!c->sel.comm[0] + !!c->sel.unit[0] + !!c->sel.cgroup[0] > 1)
		return usage_error("give one of a pid, --comm, --unit and --cgroup");
	if (!allowed(allow, "timeline") && profile_format() != allowed(allow, "output"))
		return profile_format() ?
			usage_error("--format pprof, folded and svg go with export only") :
			usage_error("export needs --format pprof, folded or svg");
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	struct cmd_opts c;
	int err = parse_cmd(argc, argv, &c, "");

	return err ? err : ask(LEAKD_CMD_STATUS, NULL, 0);
}

static int cmd_list(int argc, char **argv, uint16_t cmd)
{
	struct leakd_req_list r = { 0 };
	struct cmd_opts c;
	int err = parse_cmd(argc, argv, &c, "n limit");

	if (err)
		return err;
	r.limit = c.limit;
	return ask(cmd, &r, sizeof(r));
}

static int cmd_ps(int argc, char **argv)
{
	return cmd_list(argc, argv, LEAKD_CMD_PS);
}

static int cmd_exited(int argc, char **argv)
{
	return cmd_list(argc, argv, LEAKD_CMD_EXITED);
}

static int cmd_top(int argc, char **argv)
{
	struct leakd_req_top r = { 0 };
	struct cmd_opts c;
	int err = parse_cmd(argc, argv, &c,
			    "top n limit pid comm unit cgroup level min-age by window since ages");

	if (err)
		return err;
	if (c.window_ns && c.by != LEAKD_TOP_BY_GROWTH)
		return usage_error("--window goes with --by growth");
	r.sel = c.sel;
	r.limit = c.limit_set ? c.limit : LEAKD_TOP_DEFAULT;
	r.level = c.level;
	r.min_age_ns = c.min_age_ns;
	r.since_ns = c.since_ns;
	r.window_ns = c.window_ns;
	r.by = c.by;
	r.top_flags = c.ages ? LEAKD_TOP_AGES : 0;
	return ask(LEAKD_CMD_TOP, &r, sizeof(r));
}

/* top's stacks, every one the daemon gives (its maximum), as a profile of one level. */
static int cmd_export(int argc, char **argv)
{
	struct leakd_req_top r = { 0 };
	struct cmd_opts c;
	int err = parse_cmd(argc, argv, &c, "pid comm unit cgroup level o output by window");

	if (err)
		return err;
	if (c.window_ns && c.by != LEAKD_TOP_BY_GROWTH)
		return usage_error("--window goes with --by growth");
	if (c.by == LEAKD_TOP_BY_GROWTH && format == LEAKD_FORMAT_PPROF)
		return usage_error("--by growth goes with --format folded or svg");
	if (c.level == LEAKD_LEVEL_ALL && c.level_given)
		return usage_error("a profile is of one level: heap or mapping");
	if (format == LEAKD_FORMAT_PPROF && !output && isatty(STDOUT_FILENO))
		return usage_error("--format pprof writes a binary file: give -o FILE");
	r.sel = c.sel;
	r.level = c.level_given ? c.level : LEAKD_LEVEL_HEAP;
	r.by = c.by;
	r.window_ns = c.window_ns;
	return ask(LEAKD_CMD_TOP, &r, sizeof(r));
}

static int cmd_timeline(int argc, char **argv)
{
	struct leakd_req_timeline r = { 0 };
	struct cmd_opts c;
	int err = parse_cmd(argc, argv, &c, "timeline pid n limit window o output");

	if (err)
		return err;
	if (!c.sel.pid)
		return usage_error("timeline PID");
	if (format == LEAKD_FORMAT_PPROF || format == LEAKD_FORMAT_FOLDED)
		return usage_error("a timeline is text, json or svg");
	/* To a file, the chart unless JSON is asked for. */
	if (output && format == LEAKD_FORMAT_TEXT)
		format = LEAKD_FORMAT_SVG;
	if (c.limit > LEAKD_TIMELINE_STACKS)
		return usage_error("at most %d stacks", LEAKD_TIMELINE_STACKS);
	r.pid = c.sel.pid;
	r.stacks = c.limit_set ? c.limit : 0;
	r.window_ns = c.window_ns;
	return ask(LEAKD_CMD_TIMELINE, &r, sizeof(r));
}

static int cmd_trace_common(int argc, char **argv, bool on)
{
	struct leakd_req_trace r = { 0 };
	struct cmd_opts c;
	int err = parse_cmd(argc, argv, &c,
			    on ? "pid comm unit for sample exact inject" : "pid comm unit");

	if (err)
		return err;
	if (!c.sel.pid && !c.sel.comm[0] && !c.sel.unit[0])
		return usage_error("give a pid, --comm NAME or --unit UNIT");
	if (c.inject && !c.sel.pid)
		return usage_error("--inject goes with a pid");
	if (c.inject && c.mode == LEAKD_TRACE_EXACT)
		return usage_error("--inject samples: not with --exact");
	r.sel = c.sel;
	r.duration_ns = c.duration_ns;
	r.mode = c.mode;
	r.trace_flags = c.inject ? LEAKD_TRACE_INJECT : 0;
	r.sample_bytes = c.sample_bytes;
	return ask(on ? LEAKD_CMD_TRACE : LEAKD_CMD_UNTRACE, &r, sizeof(r));
}

static int cmd_trace(int argc, char **argv)
{
	return cmd_trace_common(argc, argv, true);
}

static int cmd_untrace(int argc, char **argv)
{
	return cmd_trace_common(argc, argv, false);
}

/* NAME: a name the daemon keeps (serve/snapstore.h); checked here to fail early and clearly. */
static int copy_name(char *dst, size_t size, const char *name)
{
	if (strlen(name) >= size || !snapstore_name_ok(name))
		return usage_error("invalid snapshot name '%s' (1 to 63 of A-Z a-z 0-9 . _ -, not "
				   "starting with '.', not now)", name);
	memcpy(dst, name, strlen(name) + 1);
	return 0;
}

static int cmd_snapshot(int argc, char **argv)
{
	struct leakd_req_snapshot r = { 0 };
	struct cmd_opts c;
	const char *op = argc > 1 ? argv[1] : "list";
	int err;

	if (!strcmp(op, "list")) {
		r.op = LEAKD_SNAPSHOT_LIST;
		err = parse_cmd(argc - 1, argv + 1, &c, "");
	} else if (!strcmp(op, "save") || !strcmp(op, "delete")) {
		bool save = op[0] == 's';

		if (argc < 3)
			return usage_error("snapshot %s NAME", op);
		r.op = save ? LEAKD_SNAPSHOT_SAVE : LEAKD_SNAPSHOT_DELETE;
		err = copy_name(r.name, sizeof(r.name), argv[2]);
		if (!err)
			err = parse_cmd(argc - 2, argv + 2, &c,
					save ? "pid comm unit cgroup level" : "");
		r.sel = c.sel;
		r.level = c.level;
	} else {
		return usage_error("snapshot save|list|delete");
	}
	return err ? err : ask(LEAKD_CMD_SNAPSHOT, &r, sizeof(r));
}

/* A diff's side that names a file of leakd's JSON (a report, a top answer), not a snapshot. */
static bool is_file(const char *arg)
{
	size_t n = strlen(arg);

	return strchr(arg, '/') || (n > 5 && !strcmp(arg + n - 5, ".json"));
}

/* Two files on this machine: no daemon needed. */
static int diff_files(const char *a, const char *b, uint32_t limit)
{
	struct stack_list la = { 0 }, lb = { 0 };
	struct diff_snap d;
	struct snapshot s = { .kind = SNAP_DIFF, .diff = &d, .short_names = short_names };
	enum output_format fmt = format == LEAKD_FORMAT_JSON ? OUTPUT_JSON : OUTPUT_TEXT;
	const char *why = NULL, *which = a;
	int err;

	err = stack_list__load_file(a, &la, &why);
	if (!err) {
		which = b;
		err = stack_list__load_file(b, &lb, &why);
	}
	if (err) {
		fprintf(stderr, "leakctl: %s: %s\n", which, why ? why : strerror(-err));
		stack_list__free(&la);
		return EXIT_USAGE;
	}
	err = diff__compute(&la, &lb, limit, &d);
	if (!err) {
		snprintf(d.a, sizeof(d.a), "%s", a);
		snprintf(d.b, sizeof(d.b), "%s", b);
		err = render(stdout, fmt, &s);
		diff_snap__free(&d);
	}
	stack_list__free(&la);
	stack_list__free(&lb);
	if (err) {
		fprintf(stderr, "leakctl: diff: %s\n", strerror(-err));
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

static int cmd_diff(int argc, char **argv)
{
	struct leakd_req_diff r = { 0 };
	struct cmd_opts c;
	int err;

	if (argc < 3)
		return usage_error("diff A B: two snapshots (or now), or two JSON files");
	err = parse_cmd(argc - 2, argv + 2, &c, "n limit pid comm unit cgroup level");
	if (err)
		return err;
	if (is_file(argv[1]) || is_file(argv[2])) {
		if (!is_file(argv[1]) || !is_file(argv[2]))
			return usage_error("compare two files, or two snapshots (or one and now)");
		return diff_files(argv[1], argv[2], c.limit_set ? c.limit : LEAKD_TOP_DEFAULT);
	}
	for (int k = 0; k < 2; k++) {
		char *dst = k ? r.b : r.a;

		if (!strcmp(argv[1 + k], "now"))
			snprintf(dst, sizeof(r.a), "now");
		else if ((err = copy_name(dst, sizeof(r.a), argv[1 + k])))
			return err;
	}
	r.sel = c.sel;
	r.level = c.level;
	r.limit = c.limit_set ? c.limit : LEAKD_TOP_DEFAULT;
	return ask(LEAKD_CMD_DIFF, &r, sizeof(r));
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "status", cmd_status },
	{ "ps", cmd_ps },
	{ "top", cmd_top },
	{ "trace", cmd_trace },
	{ "untrace", cmd_untrace },
	{ "exited", cmd_exited },
	{ "export", cmd_export },
	{ "snapshot", cmd_snapshot },
	{ "diff", cmd_diff },
	{ "timeline", cmd_timeline },
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "short-names", no_argument, NULL, 'S' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	size_t i;
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:s:hV", lo, NULL)) != -1) {
		switch (ch) {
		case 'j':
			format = LEAKD_FORMAT_JSON;
			break;
		case 'f':
			if (set_format(optarg)) {
				fprintf(stderr, "leakctl: invalid format '%s' (text, json, pprof, "
					"folded or svg)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'S':
			short_names = true;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("leakctl %s (protocol %d)\n", LEAKD_VERSION, LEAKD_PROTO_VERSION);
			return EXIT_OK;
		case ':':
			return usage_error("option %s needs an argument", argv[optind - 1]);
		default:
			return usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no command given");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return commands[i].fn(argc - optind, argv + optind);
	return usage_error("unknown command '%s'", argv[optind]);
}
