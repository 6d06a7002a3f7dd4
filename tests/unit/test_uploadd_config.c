/* Unit tests for uploadd's command line: defaults, every kind of value,
 * one-line usage errors, --help/--version, and secrets read from files. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "uploadd/config.h"

static char err[512];

/* Parses a NULL-terminated argument list (program name added). */
static int parse(struct uploadd_config *cfg, FILE *out, ...)
{
	char *argv[32] = { "uploadd" };
	int argc = 1;
	va_list ap;

	va_start(ap, out);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	err[0] = '\0';
	return config_parse(cfg, argc, argv, out, err, sizeof(err));
}

static void test_defaults(void **state)
{
	struct uploadd_config cfg;
	const struct sockaddr_in *in = (const struct sockaddr_in *)&cfg.debug_listen.addr;

	(void)state;
	assert_int_equal(parse(&cfg, stdout, NULL), CONFIG_RUN);
	assert_true(cfg.debug_listen.enabled);
	/* The debug listener is loopback unless told otherwise. */
	assert_int_equal(ntohl(in->sin_addr.s_addr), INADDR_LOOPBACK);
	assert_int_equal(ntohs(in->sin_port), 9090);
	assert_int_equal(cfg.redis_port, 6379);
	assert_int_equal(cfg.max_upload_size, 8ull << 30);
	assert_true(cfg.access_log);
	assert_null(cfg.token_file);
	assert_null(cfg.user);
}

static void test_values(void **state)
{
	struct uploadd_config cfg;

	(void)state;
	assert_int_equal(parse(&cfg, stdout, "--listen", "[::1]:0",
			       "--debug-listen=off", "-s", "/srv/u",
			       "--max-upload-size", "1.5G", NULL), -EINVAL);
	assert_non_null(strstr(err, "invalid --max-upload-size '1.5G'"));
	assert_int_equal(parse(&cfg, stdout, "--listen", "[::1]:0",
			       "--debug-listen=off", "-s", "/srv/u",
			       "--max-upload-size", "512MiB", "--max-uploads", "3",
			       "--redis-password-file", "/run/pw", "--lock-ttl",
			       "5000", "--no-access-log", "-vv", "--user", "nobody",
			       NULL), CONFIG_RUN);
	assert_int_equal(cfg.listen.addr.ss_family, AF_INET6);
	assert_false(cfg.debug_listen.enabled);
	assert_string_equal(cfg.storage_dir, "/srv/u");
	assert_int_equal(cfg.max_upload_size, 512ull << 20);
	assert_int_equal(cfg.max_uploads, 3);
	assert_string_equal(cfg.redis_password_file, "/run/pw");
	assert_int_equal(cfg.lock_ttl_ms, 5000);
	assert_false(cfg.access_log);
	assert_int_equal(cfg.verbose, 2);
	assert_string_equal(cfg.user, "nobody");
}

static void test_usage_errors(void **state)
{
	struct uploadd_config cfg;

	(void)state;
	assert_int_equal(parse(&cfg, stdout, "--bogus", NULL), -EINVAL);
	assert_non_null(strstr(err, "unknown option '--bogus'"));
	assert_int_equal(parse(&cfg, stdout, "--redis-port", NULL), -EINVAL);
	assert_non_null(strstr(err, "missing value"));
	assert_int_equal(parse(&cfg, stdout, "--redis-port", "70000", NULL), -EINVAL);
	assert_non_null(strstr(err, "invalid --redis-port '70000'"));
	assert_int_equal(parse(&cfg, stdout, "--listen", "localhost", NULL), -EINVAL);
	assert_non_null(strstr(err, "invalid --listen"));
	assert_int_equal(parse(&cfg, stdout, "--listen", "999.1.1.1:80", NULL), -EINVAL);
	assert_int_equal(parse(&cfg, stdout, "--lock-ttl", "10", NULL), -EINVAL);
	assert_int_equal(parse(&cfg, stdout, "extra", NULL), -EINVAL);
	assert_non_null(strstr(err, "unexpected argument 'extra'"));
	assert_null(strchr(err, '\n'));
	/* Abbreviations are refused: "--token SECRET" must not become
	 * --token-file, and the value is never echoed. */
	assert_int_equal(parse(&cfg, stdout, "--token", "s3cret", NULL), -EINVAL);
	assert_non_null(strstr(err, "unknown option '--token'"));
	assert_int_equal(parse(&cfg, stdout, "--redis-pass=s3cret", NULL), -EINVAL);
	assert_null(strstr(err, "s3cret"));
	assert_int_equal(parse(&cfg, stdout, "--bogus=s3cret", NULL), -EINVAL);
	assert_null(strstr(err, "s3cret"));
	assert_int_equal(parse(&cfg, stdout, "--header-timeout", "5",
			       "--min-body-rate=0", "-s", "--x", NULL), CONFIG_RUN);
	assert_int_equal(cfg.header_timeout_s, 5);
	assert_int_equal(cfg.min_body_rate, 0);
	assert_string_equal(cfg.storage_dir, "--x");
}

static void test_help_and_version(void **state)
{
	struct uploadd_config cfg;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_int_equal(parse(&cfg, f, "--help", NULL), CONFIG_EXIT);
	assert_int_equal(parse(&cfg, f, "-V", NULL), CONFIG_EXIT);
	fclose(f);
	assert_non_null(strstr(buf, "Usage: uploadd"));
	assert_non_null(strstr(buf, "--token-file"));
	assert_non_null(strstr(buf, "Exit codes:"));
	assert_non_null(strstr(buf, "\nuploadd "));
	free(buf);
}

static void test_sizes_and_addresses(void **state)
{
	struct listen_addr a;
	uint64_t v;

	(void)state;
	assert_int_equal(config_parse_size("1", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(config_parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(config_parse_size("2GB", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(config_parse_size("1T", &v), 0);
	assert_int_equal(config_parse_size("0", &v), -EINVAL);
	assert_int_equal(config_parse_size("-1", &v), -EINVAL);
	assert_int_equal(config_parse_size("1X", &v), -EINVAL);
	assert_int_equal(config_parse_size("99999999999T", &v), -EINVAL);
	assert_int_equal(config_parse_listen(":8080", false, &a), 0);
	assert_int_equal(config_parse_listen("localhost:1", false, &a), 0);
	assert_int_equal(config_parse_listen("off", false, &a), -EINVAL);
	assert_int_equal(config_parse_listen("[::1]8080", false, &a), -EINVAL);
	assert_int_equal(config_parse_listen("1.2.3.4:", false, &a), -EINVAL);
}

static void test_secret_file(void **state)
{
	char path[] = "/tmp/uploadd-secret-XXXXXX";
	size_t len;
	char *s;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret\r\nsecond line\n", 20), 20);
	close(fd);
	chmod(path, 0600);
	s = config_read_secret(path, &len, err, sizeof(err));
	assert_non_null(s);
	assert_string_equal(s, "s3cret");
	assert_int_equal(len, 6);
	free(s);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
	assert_null(config_read_secret(path, &len, err, sizeof(err)));
	assert_non_null(strstr(err, "is empty"));
	unlink(path);
	assert_null(config_read_secret(path, &len, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_sizes_and_addresses),
		cmocka_unit_test(test_secret_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
