// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <check.h>
#include <string.h>

#include "base/cgroup.h"
#include "testutil.h"

#define ID "3f2a9c1b7e8d4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"

START_TEST(units)
{
	char buf[64];

	ck_assert(cgroup_has_unit("/system.slice/nginx.service", "nginx.service"));
	ck_assert(cgroup_has_unit("/system.slice/nginx.service/worker", "nginx.service"));
	ck_assert(!cgroup_has_unit("/system.slice/nginx.service2", "nginx.service"));
	ck_assert(!cgroup_has_unit("/system.slice/xnginx.service", "nginx.service"));
	ck_assert(!cgroup_has_unit("/system.slice/nginx.service", ""));
	ck_assert_str_eq(cgroup_unit("/system.slice/nginx.service", buf, sizeof(buf)),
			 "nginx.service");
	ck_assert_str_eq(cgroup_unit("/user.slice/user-0.slice/session-3.scope", buf,
				     sizeof(buf)), "session-3.scope");
	ck_assert_str_eq(cgroup_unit("/init.scope", buf, sizeof(buf)), "init.scope");
	ck_assert_str_eq(cgroup_unit("/a/b", buf, sizeof(buf)), "b");
	ck_assert_str_eq(cgroup_unit("/", buf, sizeof(buf)), "");
}
END_TEST

START_TEST(under)
{
	ck_assert(cgroup_is_under("/system.slice/nginx.service", "/system.slice"));
	ck_assert(cgroup_is_under("/system.slice/nginx.service", "/system.slice/"));
	ck_assert(cgroup_is_under("/system.slice/nginx.service", "/system.slice/nginx.service"));
	ck_assert(cgroup_is_under("/system.slice", "/"));
	ck_assert(!cgroup_is_under("/system.slice2/x", "/system.slice"));
	ck_assert(!cgroup_is_under("/system", "/system.slice"));
	ck_assert(!cgroup_is_under("/a", ""));
}
END_TEST

START_TEST(containers)
{
	static const char *const paths[] = {
		"/system.slice/docker-" ID ".scope",
		"/system.slice/containerd.service/kubepods-burstable-podX.slice:cri-containerd:" ID,
		"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/"
		"cri-containerd-" ID ".scope",
		"/machine.slice/libpod-" ID ".scope/container",
		"/kubepods/burstable/pod1234/" ID,
		"/docker/" ID,
		"/crio-" ID ".scope",
	};
	char buf[CGROUP_ID_LEN + 1];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const char *id = cgroup_container_id(paths[i], buf, sizeof(buf));

		/* The cri-containerd form with colons has no dash before the id: not ours. */
		if (i == 1) {
			ck_assert_ptr_null(id);
			continue;
		}
		ck_assert_msg(id && !strcmp(id, ID), "%s: %s", paths[i], id ? id : "(none)");
	}
	ck_assert_ptr_null(cgroup_container_id("/system.slice/nginx.service", buf, sizeof(buf)));
	ck_assert_str_eq(buf, "");
	/* Too short, too long, upper case, not hex. */
	ck_assert_ptr_null(cgroup_container_id("/docker/3f2a9c1b7e8d", buf, sizeof(buf)));
	ck_assert_ptr_null(cgroup_container_id("/docker/" ID "0", buf, sizeof(buf)));
	ck_assert_ptr_null(cgroup_container_id("/docker/3F2A9C1B7E8D4F60A1B2C3D4E5F60718293A"
					       "4B5C6D7E8F90A1B2C3D4E5F60718", buf, sizeof(buf)));
	ck_assert_ptr_null(cgroup_container_id("/docker/zf2a9c1b7e8d4f60a1b2c3d4e5f60718293a4b"
					       "5c6d7e8f90a1b2c3d4e5f60718", buf, sizeof(buf)));
	/* A small buffer is filled as far as it goes. */
	ck_assert_str_eq(cgroup_container_id("/docker/" ID, buf, 13), "3f2a9c1b7e8d");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("cgroup");

	tcase_add_test(tc, units);
	tcase_add_test(tc, under);
	tcase_add_test(tc, containers);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
