/* SPDX-License-Identifier: BSD-2-Clause */
/* Parsing of `virtio_mmio.device=` tokens (pure logic, also unit-tested on the host). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "sluice/cmdline.h"
#include "sluice/virtio_mmio.h"

struct virtio_mmio_dev virtio_mmio_devs[VIRTIO_MMIO_MAX];
unsigned int virtio_mmio_ndevs;

/* Parse a number (decimal or 0x-hex) up to the first byte in @stops. */
static int number(const char **s, const char *stops, uint64_t *out)
{
	char tmp[24];
	size_t n = 0;

	while ((*s)[n] && !__builtin_strchr(stops, (*s)[n])) {
		if (n + 1 >= sizeof(tmp))
			return -EINVAL;
		tmp[n] = (*s)[n];
		n++;
	}
	tmp[n] = '\0';
	*s += n;
	return n ? cmdline_parse_u64(tmp, out) : -EINVAL;
}

/* Plausible transports only: below 4 GiB, a register window, an IOAPIC input. */
static bool virtio_mmio_valid(uint64_t base, uint64_t size, uint64_t irq)
{
	return size >= 0x100 && size <= (1 << 20) && base != 0 && base < (1ULL << 32) - size &&
	       irq <= 255;
}

int virtio_mmio_parse(const char *s, struct virtio_mmio_dev *dev, char *err, size_t errlen)
{
	uint64_t size, base, irq;

	/* The value is untrusted text: every field is range-checked. */
	if (number(&s, "KkMm@", &size) < 0)
		goto bad;
	if (*s == 'K' || *s == 'k')
		size <<= 10, s++;
	else if (*s == 'M' || *s == 'm')
		size <<= 20, s++;
	if (*s++ != '@' || number(&s, ":", &base) < 0 || *s++ != ':' || number(&s, ":", &irq) < 0 ||
	    *s != '\0')
		goto bad;
	if (!virtio_mmio_valid(base, size, irq)) {
		snprintf(err, errlen, "transport out of range (size %#llx, base %#llx, irq %llu)",
			 (unsigned long long)size, (unsigned long long)base,
			 (unsigned long long)irq);
		return -EINVAL;
	}
	*dev = (struct virtio_mmio_dev){.base = base, .size = size, .irq = (uint32_t)irq};
	return 0;
bad:
	snprintf(err, errlen, "expected SIZE@BASE:IRQ");
	return -EINVAL;
}

int virtio_mmio_add(uint64_t base, uint64_t size, uint32_t irq)
{
	if (!virtio_mmio_valid(base, size, irq))
		return -EINVAL;
	for (unsigned int i = 0; i < virtio_mmio_ndevs; i++)
		if (virtio_mmio_devs[i].base == base)
			return -EEXIST; /* announced twice (command line and ACPI) */
	if (virtio_mmio_ndevs >= VIRTIO_MMIO_MAX)
		return -E2BIG;
	virtio_mmio_devs[virtio_mmio_ndevs++] =
		(struct virtio_mmio_dev){.base = base, .size = size, .irq = irq};
	return 0;
}

int virtio_mmio_cmdline(const char *value, void *ctx, char *err, size_t errlen)
{
	struct virtio_mmio_dev dev;
	int rc;

	(void)ctx;
	if (virtio_mmio_ndevs >= VIRTIO_MMIO_MAX) {
		snprintf(err, errlen, "more than %d transports", VIRTIO_MMIO_MAX);
		return -E2BIG;
	}
	rc = virtio_mmio_parse(value, &dev, err, errlen);
	if (rc == 0 && virtio_mmio_add(dev.base, dev.size, dev.irq) == -EEXIST) {
		snprintf(err, errlen, "transport at %#llx given twice",
			 (unsigned long long)dev.base);
		return -EINVAL;
	}
	return rc;
}
