/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests: kernel symbol lookup (backtraces) and virtio_mmio.device= parsing. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/ksyms.h"
#include "sluice/virtio_mmio.h"

/* The kernel defines kernel_ksyms through the linker; the tests use their own. */
const struct ksyms_table kernel_ksyms;

static const uint64_t addrs[] = {0x101000, 0x101040, 0x1010a0};
static const uint32_t offs[] = {0, 6, 12};
static const char names[] = "alpha\0beta_\0gamma";
static const struct ksyms_table tbl = {3, addrs, offs, names};

START_TEST(ksyms_finds_containing_symbol)
{
	uint64_t off = 99;

	ck_assert_str_eq(ksyms_lookup(&tbl, 0x101000, 0x102000, &off), "alpha");
	ck_assert_uint_eq(off, 0);
	ck_assert_str_eq(ksyms_lookup(&tbl, 0x10103f, 0x102000, &off), "alpha");
	ck_assert_uint_eq(off, 0x3f);
	ck_assert_str_eq(ksyms_lookup(&tbl, 0x101040, 0x102000, &off), "beta_");
	ck_assert_uint_eq(off, 0);
	ck_assert_str_eq(ksyms_lookup(&tbl, 0x101fff, 0x102000, &off), "gamma");
	ck_assert_uint_eq(off, 0xf5f);
}
END_TEST

START_TEST(ksyms_rejects_outside_text)
{
	uint64_t off;
	const struct ksyms_table empty = {0, NULL, NULL, NULL};

	ck_assert_ptr_null(ksyms_lookup(&tbl, 0x100fff, 0x102000, &off));
	ck_assert_ptr_null(ksyms_lookup(&tbl, 0x102000, 0x102000, &off));
	ck_assert_ptr_null(ksyms_lookup(&tbl, 0, 0x102000, &off));
	ck_assert_ptr_null(ksyms_lookup(&empty, 0x101000, 0x102000, &off));
}
END_TEST

START_TEST(virtio_mmio_parses_qemu_tokens)
{
	struct virtio_mmio_dev d;
	char err[80];

	ck_assert_int_eq(virtio_mmio_parse("512@0xfeb00000:12", &d, err, sizeof(err)), 0);
	ck_assert_uint_eq(d.size, 512);
	ck_assert_uint_eq(d.base, 0xfeb00000);
	ck_assert_uint_eq(d.irq, 12);
	ck_assert_int_eq(virtio_mmio_parse("4K@0xfeb00200:17", &d, err, sizeof(err)), 0);
	ck_assert_uint_eq(d.size, 4096);
	ck_assert_uint_eq(d.base, 0xfeb00200);
	ck_assert_uint_eq(d.irq, 17);
}
END_TEST

START_TEST(virtio_mmio_rejects_garbage)
{
	static const char *const bad[] = {
		"",
		"512",
		"512@",
		"512@0xfeb00000",
		"512@0xfeb00000:",
		"512@0xfeb00000:12:",
		"x@0xfeb00000:1",
		"512@0:5",
		"512@0xfeb00000:256",
		"16@0xfeb00000:5",
		"2M@0x1000:5",
		"512@0xffffffff:5",
		"512@0xfeb00000:1x",
		"99999999999999999999@1:1",
	};
	struct virtio_mmio_dev d;
	char err[80];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(virtio_mmio_parse(bad[i], &d, err, sizeof(err)) == -EINVAL,
			      "accepted '%s'", bad[i]);
		ck_assert_msg(err[0] != '\0', "no reason for '%s'", bad[i]);
	}
}
END_TEST

START_TEST(virtio_mmio_cmdline_records_and_limits)
{
	char err[80];

	virtio_mmio_ndevs = 0;
	ck_assert_int_eq(virtio_mmio_cmdline("512@0xfeb00000:12", NULL, err, sizeof(err)), 0);
	/* The same transport twice (command line and ACPI, or a typo) is refused. */
	ck_assert_int_eq(virtio_mmio_cmdline("512@0xfeb00000:12", NULL, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(virtio_mmio_add(0xfeb00000, 512, 12), -EEXIST);
	for (int i = 1; i < VIRTIO_MMIO_MAX; i++) {
		char tok[40];

		snprintf(tok, sizeof(tok), "512@%#x:%d", 0xfeb00000 + 512 * i, 12 + i);
		ck_assert_int_eq(virtio_mmio_cmdline(tok, NULL, err, sizeof(err)), 0);
	}
	ck_assert_uint_eq(virtio_mmio_ndevs, VIRTIO_MMIO_MAX);
	ck_assert_int_eq(virtio_mmio_cmdline("512@0xfec00000:12", NULL, err, sizeof(err)), -E2BIG);
	ck_assert_uint_eq(virtio_mmio_ndevs, VIRTIO_MMIO_MAX);
	ck_assert_uint_eq(virtio_mmio_devs[5].base, 0xfeb00000 + 512 * 5);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ksyms+virtio_mmio");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, ksyms_finds_containing_symbol);
	tcase_add_test(tc, ksyms_rejects_outside_text);
	tcase_add_test(tc, virtio_mmio_parses_qemu_tokens);
	tcase_add_test(tc, virtio_mmio_rejects_garbage);
	tcase_add_test(tc, virtio_mmio_cmdline_records_and_limits);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
