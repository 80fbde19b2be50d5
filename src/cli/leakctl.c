// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * leakctl: asks the leakd daemon over its control socket and prints the answer.
 * The daemon renders text or JSON; leakctl builds requests and checks replies.
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
#include "version.h"

/* Exit codes, documented in leakctl(1). */
enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,	/* the daemon answered with an error */
	EXIT_USAGE = 2,
	EXIT_PERM = 3,		/* not permitted (socket or request) */
	EXIT_NO_DAEMON = 4,	/* no daemon listening */
	EXIT_PROTOCOL = 5,	/* a reply leakctl does not understand */
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

static void usage(FILE *f)
{
	fputs("Usage: leakctl [--json] [--format FORMAT] [--short-names] [--socket PATH] COMMAND "
	      "[ARGS]\n"
	      "\n"
	      "Commands:\n"
	      "  status                  the daemon: kernel features, processes, drops, its cost\n"
	      "  ps [-n N]               processes by memory growth\n"
	      "  top [SELECTOR] [-n N] [--level heap|mapping|all] [--min-age DURATION]\n"
	      "                          the stacks that hold the most outstanding memory\n"
	      "  trace SELECTOR [--for DURATION] [--sample SIZE | --exact]\n"
	      "                          trace the allocator of these processes (by pid:\n"
	      "                          sampled every SIZE bytes on average, default 512K,\n"
	      "                          or every call with --exact)\n"
	      "  untrace SELECTOR        stop it\n"
	      "  exited [-n N]           what recently exited processes left allocated\n"
	      "\n"
	      "SELECTOR: PID, --pid PID, --comm NAME (as in /proc/PID/comm) or --unit UNIT\n"
	      "(a systemd unit).  A name or unit also traces processes that start later.\n"
	      "DURATION: a number with a unit: ms, s, m, h, d (a bare number is seconds).\n"
	      "\n"
	      "Options:\n"
	      "      --json              answers as JSON\n"
	      "      --format FORMAT     answers as text or json (default text)\n"
	      "      --short-names       text: function names without template arguments\n"
	      "                          and parameter lists (JSON keeps them whole)\n"
	      "  -s, --socket PATH       the daemon's socket (default " LEAKD_SOCKET_PATH ")\n"
	      "  -h, --help              show this help\n"
	      "  -V, --version           show the version\n"
	      "\n"
	      "Exit status: 0 done, 1 the daemon refused, 2 bad arguments, 3 not permitted,\n"
	      "4 no daemon, 5 protocol error.  See leakctl(1).\n",
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
		ssize_t n = out ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
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
	if (!full_io(fd, &h, sizeof(h), true) || (len && !full_io(fd, (void *)payload, len, true)) ||
	    !full_io(fd, &r, sizeof(r), false)) {
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
	if (r.status == LEAKD_OK) {
		fwrite(body, 1, r.length, stdout);
		rc = fflush(stdout) ? EXIT_REFUSED : EXIT_OK;
	} else {
		/* Errors go to stderr as text; as JSON to stdout, where scripts read. */
		if (format == LEAKD_FORMAT_JSON)
			fwrite(body, 1, r.length, stdout);
		else
			fprintf(stderr, "leakctl: %s", body);
		rc = r.status == LEAKD_ERR_PERM ? EXIT_PERM : EXIT_REFUSED;
	}
	free(body);
	return rc;
}

struct cmd_opts {
	struct leakd_selector sel;
	uint32_t limit;
	uint32_t level;
	uint64_t min_age_ns, duration_ns;
	uint32_t mode;			/* enum leakd_trace_mode */
	uint64_t sample_bytes;
};

enum {
	O_PID = 256, O_COMM, O_UNIT, O_LEVEL, O_MIN_AGE, O_FOR, O_SAMPLE, O_EXACT, O_JSON,
	O_FORMAT, O_SHORT_NAMES
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

/* Parses a command's own options; what it allows is in the allow string. */
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
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, O_JSON },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "short-names", no_argument, NULL, O_SHORT_NAMES },
		{ 0 },
	};
	uint64_t v;
	int ch;

	memset(c, 0, sizeof(*c));
	optind = 1;
	opterr = 0;
	for (;;) {
		const char *name;

		ch = getopt_long(argc, argv, "+:n:", lo, NULL);
		if (ch == -1) {
			/* A bare PID is a selector too, and options may follow it. */
			if (optind >= argc || !allowed(allow, "pid") || c->sel.pid)
				break;
			if (parse_u64(argv[optind], 1, LEAKD_PID_MAX, &v))
				return usage_error("invalid pid '%s'", argv[optind]);
			c->sel.pid = v;
			optind++;
			continue;
		}
		name = ch == 'n' ? "n" : ch >= O_PID ? lo[ch - O_PID].name : NULL;

		if (ch == '?' || ch == ':')
			return usage_error(ch == ':' ? "option %s needs an argument" :
						       "unknown option %s",
					   argv[optind - 1]);
		if (ch == O_JSON) {
			format = LEAKD_FORMAT_JSON;	/* after the command as well as before it */
			continue;
		}
		if (ch == O_FORMAT) {
			if (set_format(optarg))
				return usage_error("invalid format '%s' (text or json)", optarg);
			continue;
		}
		if (ch == O_SHORT_NAMES) {
			short_names = true;
			continue;
		}
		if (!allowed(allow, name))
			return usage_error("option %s does not go with this command",
					   argv[optind - 1]);
		switch (ch) {
		case 'n':
			if (parse_u64(optarg, 0, UINT32_MAX, &v))
				return usage_error("invalid number '%s'", optarg);
			c->limit = v;
			break;
		case O_PID:
			if (parse_u64(optarg, 1, LEAKD_PID_MAX, &v))
				return usage_error("invalid pid '%s'", optarg);
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
			break;
		case O_MIN_AGE:
		case O_FOR:
			if (parse_duration(optarg, &v) || (ch == O_FOR && !v))
				return usage_error("invalid duration '%s'", optarg);
			*(ch == O_FOR ? &c->duration_ns : &c->min_age_ns) = v;
			break;
		case O_SAMPLE:
			if (parse_size(optarg, &v) || v < LEAKD_SAMPLE_MIN || v > LEAKD_SAMPLE_MAX)
				return usage_error("invalid sampling interval '%s' (16 to 1G bytes)",
						   optarg);
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
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!!c->sel.pid + !!c->sel.comm[0] + !!c->sel.unit[0] > 1)
		return usage_error("give one of a pid, --comm and --unit");
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
	int err = parse_cmd(argc, argv, &c, "n limit pid comm unit level min-age");

	if (err)
		return err;
	r.sel = c.sel;
	r.limit = c.limit;
	r.level = c.level;
	r.min_age_ns = c.min_age_ns;
	return ask(LEAKD_CMD_TOP, &r, sizeof(r));
}

static int cmd_trace_common(int argc, char **argv, bool on)
{
	struct leakd_req_trace r = { 0 };
	struct cmd_opts c;
	int err = parse_cmd(argc, argv, &c,
			    on ? "pid comm unit for sample exact" : "pid comm unit");

	if (err)
		return err;
	if (!c.sel.pid && !c.sel.comm[0] && !c.sel.unit[0])
		return usage_error("give a pid, --comm NAME or --unit UNIT");
	if (c.mode != LEAKD_TRACE_DEFAULT && !c.sel.pid)
		return usage_error("--sample and --exact go with a pid");
	r.sel = c.sel;
	r.duration_ns = c.duration_ns;
	r.mode = c.mode;
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
				fprintf(stderr, "leakctl: invalid format '%s' (text or json)\n", optarg);
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
