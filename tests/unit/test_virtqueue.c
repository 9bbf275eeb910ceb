/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests: the split virtqueue (drivers/virtio/virtqueue.c) against a
 * simulated device on host memory: descriptor allocation, index wrap,
 * notification and interrupt suppression with and without event indexes,
 * and a hostile device's used-ring entries, which must be refused without
 * any out-of-bounds access (run under ASan/UBSan).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtio.h"

/* The simulated device: it reads the avail ring and writes the used ring. */
struct fake {
	struct virtqueue vq;
	void *mem;
	uint16_t next_avail; /* device's position in the avail ring */
};

struct chain {
	uint16_t head, ndesc;
	uint32_t out_len, in_len;
	uint16_t desc[64];
};

static void fake_init(struct fake *f, uint16_t num, bool event_idx)
{
	size_t size = vring_size(num);

	f->mem = aligned_alloc(VRING_ALIGN, size);
	ck_assert_ptr_nonnull(f->mem);
	memset(f->mem, 0, size);
	ck_assert_int_eq(vq_init(&f->vq, 0, num, f->mem, event_idx), 0);
	f->next_avail = 0;
}

static void fake_fini(struct fake *f)
{
	vq_fini(&f->vq);
	free(f->mem);
}

/* Take the next available chain, following the descriptors as a device would. */
static bool dev_pop(struct fake *f, struct chain *c)
{
	struct virtqueue *vq = &f->vq;
	uint16_t i;

	if (f->next_avail == vq->avail->idx)
		return false;
	memset(c, 0, sizeof(*c));
	c->head = vq->avail->ring[f->next_avail++ % vq->num];
	i = c->head;
	for (;;) {
		const struct vring_desc *d = &vq->desc[i];

		ck_assert_uint_lt(c->ndesc, 64);
		c->desc[c->ndesc++] = i;
		if (d->flags & VRING_DESC_F_WRITE)
			c->in_len += d->len;
		else
			c->out_len += d->len;
		if (!(d->flags & VRING_DESC_F_NEXT))
			return true;
		i = d->next;
		ck_assert_uint_lt(i, vq->num);
	}
}

static void dev_push(struct fake *f, uint32_t id, uint32_t len)
{
	struct vring_used *u = f->vq.used;

	u->ring[u->idx % f->vq.num] = (struct vring_used_elem){id, len};
	__atomic_store_n(&u->idx, (uint16_t)(u->idx + 1), __ATOMIC_RELEASE);
}

static int add_n(struct virtqueue *vq, unsigned int nout, unsigned int nin, void *token)
{
	struct vq_seg segs[16];

	for (unsigned int k = 0; k < nout + nin; k++)
		segs[k] = (struct vq_seg){0x100000 + k * 0x1000, 100 + k};
	return vq_add(vq, segs, nout, nin, token);
}

static int tokens[1024];
#define TOK(i) ((void *)&tokens[(i)])

START_TEST(init_checks_sizes)
{
	static uint8_t mem[4 * 4096] __attribute__((aligned(4096)));
	struct virtqueue vq;

	ck_assert_int_eq(vq_init(&vq, 0, 0, mem, false), -EINVAL);
	ck_assert_int_eq(vq_init(&vq, 0, 3, mem, false), -EINVAL);
	ck_assert_int_eq(vq_init(&vq, 0, 2048, mem, false), -EINVAL);
	/* 256 entries: 4 KiB of descriptors + avail, used on the next page, one page of it. */
	ck_assert_uint_eq(vring_size(256), 3 * 4096);
	ck_assert_uint_eq(vring_size(1), 2 * 4096);
	ck_assert_int_eq(vq_init(&vq, 0, 4, mem, false), 0);
	ck_assert_uint_eq(vq_free_descs(&vq), 4);
	ck_assert_ptr_eq(vq.used, (void *)(mem + 4096));
	vq_fini(&vq);
}
END_TEST

START_TEST(chains_are_laid_out_and_freed)
{
	struct fake f;
	struct chain c1, c2, c3;
	uint32_t len;

	fake_init(&f, 8, false);
	ck_assert_int_eq(add_n(&f.vq, 1, 2, TOK(1)), 0);
	ck_assert_int_eq(add_n(&f.vq, 2, 1, TOK(2)), 0);
	ck_assert_uint_eq(vq_free_descs(&f.vq), 2);
	ck_assert_int_eq(add_n(&f.vq, 2, 1, TOK(3)), -ENOSPC);
	ck_assert_int_eq(add_n(&f.vq, 0, 0, TOK(3)), -EINVAL);
	ck_assert_int_eq(add_n(&f.vq, 1, 0, NULL), -EINVAL);
	ck_assert(dev_pop(&f, &c1));
	ck_assert(dev_pop(&f, &c2));
	ck_assert(!dev_pop(&f, &c3));
	ck_assert_uint_eq(c1.ndesc, 3);
	ck_assert_uint_eq(c1.out_len, 100);
	ck_assert_uint_eq(c1.in_len, 101 + 102);
	ck_assert_uint_eq(f.vq.desc[c1.desc[0]].addr, 0x100000);
	ck_assert_uint_eq(c2.ndesc, 3);
	ck_assert_uint_eq(c2.out_len, 100 + 101);
	/* Out of order completion frees exactly the right chain. */
	dev_push(&f, c2.head, 0);
	ck_assert_ptr_eq(vq_get_used(&f.vq, &len), TOK(2));
	ck_assert_uint_eq(len, 0); /* no writable part: no length */
	ck_assert_uint_eq(vq_free_descs(&f.vq), 5);
	ck_assert_ptr_null(vq_get_used(&f.vq, &len));
	dev_push(&f, c1.head, 150);
	ck_assert_ptr_eq(vq_get_used(&f.vq, &len), TOK(1));
	ck_assert_uint_eq(len, 150);
	ck_assert_uint_eq(vq_free_descs(&f.vq), 8);
	ck_assert_uint_eq(f.vq.inflight, 0);
	fake_fini(&f);
}
END_TEST

/* Random adds and out-of-order completions: in-flight chains never share a descriptor. */
START_TEST(free_list_survives_random_traffic)
{
	struct fake f;
	struct chain inflight[64];
	unsigned int n = 0;
	uint8_t owner[16];

	srand(1234);
	fake_init(&f, 16, true);
	for (int round = 0; round < 20000; round++) {
		unsigned int len = 1 + rand() % 4;
		uint32_t got;

		if (rand() % 2 && add_n(&f.vq, len / 2, len - len / 2, TOK(round % 1024)) == 0) {
			ck_assert(dev_pop(&f, &inflight[n]));
			n++;
		} else if (n > 0) {
			unsigned int k = (unsigned int)rand() % n;

			dev_push(&f, inflight[k].head, inflight[k].in_len);
			ck_assert_ptr_nonnull(vq_get_used(&f.vq, &got));
			ck_assert_uint_eq(got, inflight[k].in_len);
			inflight[k] = inflight[--n];
		}
		/* The device scribbling on descriptor links must not matter to us. */
		f.vq.desc[rand() % 16].next = (uint16_t)rand();
		memset(owner, 0, sizeof(owner));
		for (unsigned int c = 0; c < n; c++)
			for (unsigned int d = 0; d < inflight[c].ndesc; d++)
				ck_assert_uint_eq(owner[inflight[c].desc[d]]++, 0);
		ck_assert_ptr_null(f.vq.broken);
	}
	fake_fini(&f);
}
END_TEST

START_TEST(indexes_wrap_at_65535)
{
	struct fake f;
	struct chain c;
	uint32_t len;

	fake_init(&f, 4, false);
	for (unsigned int i = 0; i < 70000; i++) {
		ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(i % 1024)), 0);
		ck_assert_uint_eq(f.vq.avail->idx, (uint16_t)(i + 1));
		ck_assert(dev_pop(&f, &c));
		dev_push(&f, c.head, 7);
		ck_assert_ptr_eq(vq_get_used(&f.vq, &len), TOK(i % 1024));
		ck_assert_uint_eq(len, 7);
		ck_assert_uint_eq(f.vq.last_used, (uint16_t)(i + 1));
	}
	/* Several outstanding across the wrap point. */
	for (unsigned int i = 0; i < 4; i++)
		ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(i)), 0);
	for (unsigned int i = 0; i < 4; i++) {
		ck_assert(dev_pop(&f, &c));
		dev_push(&f, c.head, 1);
	}
	for (unsigned int i = 0; i < 4; i++)
		ck_assert_ptr_eq(vq_get_used(&f.vq, NULL), TOK(i));
	ck_assert_ptr_null(f.vq.broken);
	fake_fini(&f);
}
END_TEST

START_TEST(need_event_arithmetic)
{
	ck_assert(vring_need_event(0, 1, 0));
	ck_assert(!vring_need_event(1, 1, 0)); /* event 1 means "after entry 1 is passed" */
	ck_assert(vring_need_event(5, 10, 3));
	ck_assert(vring_need_event(3, 10, 3));
	ck_assert(vring_need_event(9, 10, 3));
	ck_assert(!vring_need_event(10, 10, 3));
	ck_assert(!vring_need_event(2, 10, 3)); /* already passed before this batch */
	ck_assert(!vring_need_event(3, 3, 3));	/* nothing new */
	/* Across the 16-bit wrap. */
	ck_assert(vring_need_event(65535, 2, 65534));
	ck_assert(vring_need_event(65534, 2, 65534));
	ck_assert(vring_need_event(1, 2, 65534));
	ck_assert(!vring_need_event(2, 2, 65534));
	ck_assert(!vring_need_event(65533, 2, 65534));
}
END_TEST

START_TEST(kick_with_event_idx)
{
	struct fake f;

	fake_init(&f, 16, true);
	ck_assert(!vq_kick_prepare(&f.vq)); /* nothing added */
	ck_assert_int_eq(add_n(&f.vq, 1, 0, TOK(0)), 0);
	ck_assert(vq_kick_prepare(&f.vq)); /* avail_event 0: wants to hear about entry 0 */
	*f.vq.avail_event = 5;		   /* device: wake me when entry 5 is available */
	ck_assert_int_eq(add_n(&f.vq, 1, 0, TOK(1)), 0);
	ck_assert_int_eq(add_n(&f.vq, 1, 0, TOK(2)), 0);
	ck_assert(!vq_kick_prepare(&f.vq)); /* idx 1 -> 3 */
	ck_assert_int_eq(add_n(&f.vq, 1, 0, TOK(3)), 0);
	ck_assert_int_eq(add_n(&f.vq, 1, 0, TOK(4)), 0);
	ck_assert_int_eq(add_n(&f.vq, 1, 0, TOK(5)), 0);
	ck_assert(vq_kick_prepare(&f.vq)); /* idx 3 -> 6 passes entry 5 */
	ck_assert(!vq_kick_prepare(&f.vq));
	/* The used flags mean nothing with event indexes. */
	f.vq.used->flags = VRING_USED_F_NO_NOTIFY;
	*f.vq.avail_event = 6;
	ck_assert_int_eq(add_n(&f.vq, 1, 0, TOK(6)), 0);
	ck_assert(vq_kick_prepare(&f.vq));
	fake_fini(&f);
}
END_TEST

START_TEST(kick_with_flags)
{
	struct fake f;

	fake_init(&f, 16, false);
	ck_assert_int_eq(add_n(&f.vq, 1, 0, TOK(0)), 0);
	f.vq.used->flags = VRING_USED_F_NO_NOTIFY;
	ck_assert(!vq_kick_prepare(&f.vq));
	ck_assert_int_eq(add_n(&f.vq, 1, 0, TOK(1)), 0);
	f.vq.used->flags = 0;
	ck_assert(vq_kick_prepare(&f.vq));
	fake_fini(&f);
}
END_TEST

START_TEST(interrupt_suppression)
{
	struct fake f;
	struct chain c;

	/* Event indexes: enable publishes used_event = last_used and catches races. */
	fake_init(&f, 8, true);
	ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(0)), 0);
	ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(1)), 0);
	vq_disable_cb(&f.vq);
	ck_assert(dev_pop(&f, &c));
	dev_push(&f, c.head, 1); /* completes while "disabled" */
	ck_assert(vq_enable_cb(&f.vq));
	ck_assert_uint_eq(*f.vq.used_event, 0);
	ck_assert_ptr_eq(vq_get_used(&f.vq, NULL), TOK(0));
	ck_assert(!vq_enable_cb(&f.vq));
	ck_assert_uint_eq(*f.vq.used_event, 1);
	/* The device would interrupt when used->idx moves past 1. */
	ck_assert(!vring_need_event(*f.vq.used_event, 1, 0));
	ck_assert(vring_need_event(*f.vq.used_event, 2, 1));
	fake_fini(&f);

	/* Flags: disable sets NO_INTERRUPT, enable clears it. */
	fake_init(&f, 8, false);
	vq_disable_cb(&f.vq);
	ck_assert_uint_eq(f.vq.avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
	ck_assert(!vq_enable_cb(&f.vq));
	ck_assert_uint_eq(f.vq.avail->flags, 0);
	fake_fini(&f);
}
END_TEST

START_TEST(detach_returns_everything)
{
	struct fake f;
	unsigned int seen = 0;
	void *t;

	fake_init(&f, 8, false);
	ck_assert_int_eq(add_n(&f.vq, 1, 1, TOK(1)), 0);
	ck_assert_int_eq(add_n(&f.vq, 1, 2, TOK(2)), 0);
	while ((t = vq_detach_unused(&f.vq)))
		seen |= 1U << (unsigned int)((int *)t - tokens);
	ck_assert_uint_eq(seen, 0x6);
	ck_assert_uint_eq(vq_free_descs(&f.vq), 8);
	fake_fini(&f);
}
END_TEST

/* Hostile devices: each violation is refused, and the queue stays refused. */
static void expect_broken(struct fake *f, const char *why)
{
	uint32_t len = 12345;

	ck_assert_ptr_null(vq_get_used(&f->vq, &len));
	ck_assert_uint_eq(len, 12345);
	ck_assert_ptr_nonnull(f->vq.broken);
	ck_assert_str_eq(f->vq.broken, why);
	/* Sticky: even a well-formed entry is not looked at any more. */
	ck_assert_ptr_null(vq_get_used(&f->vq, &len));
	ck_assert(!vq_has_used(&f->vq));
	ck_assert(!vq_enable_cb(&f->vq));
	ck_assert_int_eq(add_n(&f->vq, 0, 1, TOK(9)), -EINVAL);
	ck_assert(!vq_kick_prepare(&f->vq));
}

START_TEST(hostile_id_out_of_range)
{
	struct fake f;

	fake_init(&f, 8, true);
	ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(0)), 0);
	dev_push(&f, 8, 1);
	expect_broken(&f, "used id out of range");
	fake_fini(&f);

	fake_init(&f, 8, true);
	ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(0)), 0);
	dev_push(&f, 0xffffffff, 1);
	expect_broken(&f, "used id out of range");
	fake_fini(&f);
}
END_TEST

START_TEST(hostile_id_not_in_flight)
{
	struct fake f;
	struct chain c;

	/* Never made available. */
	fake_init(&f, 8, false);
	ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(0)), 0);
	dev_push(&f, 5, 1);
	expect_broken(&f, "used id not in flight");
	fake_fini(&f);

	/* The middle of a chain is not a chain. */
	fake_init(&f, 8, false);
	ck_assert_int_eq(add_n(&f.vq, 1, 2, TOK(0)), 0);
	ck_assert(dev_pop(&f, &c));
	dev_push(&f, c.desc[1], 1);
	expect_broken(&f, "used id not in flight");
	fake_fini(&f);

	/* Completed twice. */
	fake_init(&f, 8, false);
	ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(0)), 0);
	ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(1)), 0);
	ck_assert(dev_pop(&f, &c));
	dev_push(&f, c.head, 1);
	dev_push(&f, c.head, 1);
	ck_assert_ptr_eq(vq_get_used(&f.vq, NULL), TOK(0));
	expect_broken(&f, "used id not in flight");
	fake_fini(&f);
}
END_TEST

START_TEST(hostile_len_too_large)
{
	struct fake f;
	struct chain c;
	uint32_t len;

	/* Writable part of 100 + 101 bytes: exactly that is fine, one more is not. */
	fake_init(&f, 8, true);
	ck_assert_int_eq(add_n(&f.vq, 0, 2, TOK(0)), 0);
	ck_assert_int_eq(add_n(&f.vq, 0, 2, TOK(1)), 0);
	ck_assert(dev_pop(&f, &c));
	dev_push(&f, c.head, 201);
	ck_assert_ptr_eq(vq_get_used(&f.vq, &len), TOK(0));
	ck_assert_uint_eq(len, 201);
	ck_assert(dev_pop(&f, &c));
	dev_push(&f, c.head, 202);
	expect_broken(&f, "used length larger than the buffer");
	fake_fini(&f);

	fake_init(&f, 8, true);
	ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(0)), 0);
	dev_push(&f, 0, 0xffffffff);
	expect_broken(&f, "used length larger than the buffer");
	fake_fini(&f);

	/* Read-only chains: the legacy "bytes read" length is tolerated, more is not. */
	fake_init(&f, 8, false);
	ck_assert_int_eq(add_n(&f.vq, 2, 0, TOK(0)), 0);
	ck_assert_int_eq(add_n(&f.vq, 2, 0, TOK(1)), 0);
	ck_assert(dev_pop(&f, &c));
	dev_push(&f, c.head, 201);
	ck_assert_ptr_eq(vq_get_used(&f.vq, &len), TOK(0));
	ck_assert_uint_eq(len, 0);
	ck_assert(dev_pop(&f, &c));
	dev_push(&f, c.head, 202);
	expect_broken(&f, "used length larger than the buffer");
	fake_fini(&f);
}
END_TEST

START_TEST(hostile_used_idx_jump)
{
	struct fake f;

	/* More than the ring size. */
	fake_init(&f, 8, true);
	ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(0)), 0);
	dev_push(&f, 0, 1);
	f.vq.used->idx = 9 + 1;
	expect_broken(&f, "used index ahead of the buffers in flight");
	fake_fini(&f);

	/* Within the ring size, but more than was ever made available. */
	fake_init(&f, 8, true);
	ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(0)), 0);
	ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(1)), 0);
	f.vq.used->idx = 3;
	expect_broken(&f, "used index ahead of the buffers in flight");
	fake_fini(&f);

	/* Backwards (a huge jump modulo 2^16). */
	fake_init(&f, 8, true);
	ck_assert_int_eq(add_n(&f.vq, 0, 1, TOK(0)), 0);
	f.vq.used->idx = 0xffff;
	expect_broken(&f, "used index ahead of the buffers in flight");
	fake_fini(&f);

	/* Nothing in flight at all: any movement is a violation. */
	fake_init(&f, 8, false);
	f.vq.used->idx = 1;
	expect_broken(&f, "used index ahead of the buffers in flight");
	fake_fini(&f);
}
END_TEST

static Suite *virtqueue_suite(void)
{
	Suite *s = suite_create("virtqueue");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, init_checks_sizes);
	tcase_add_test(tc, chains_are_laid_out_and_freed);
	tcase_add_test(tc, free_list_survives_random_traffic);
	tcase_add_test(tc, indexes_wrap_at_65535);
	tcase_add_test(tc, need_event_arithmetic);
	tcase_add_test(tc, kick_with_event_idx);
	tcase_add_test(tc, kick_with_flags);
	tcase_add_test(tc, interrupt_suppression);
	tcase_add_test(tc, detach_returns_everything);
	suite_add_tcase(s, tc);
	tc = tcase_create("hostile");
	tcase_add_test(tc, hostile_id_out_of_range);
	tcase_add_test(tc, hostile_id_not_in_flight);
	tcase_add_test(tc, hostile_len_too_large);
	tcase_add_test(tc, hostile_used_idx_jump);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(virtqueue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
