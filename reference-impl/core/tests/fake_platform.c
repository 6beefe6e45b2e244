/* SPDX-License-Identifier: MIT */
/* fake_platform.c - the recording fake platform of the unit tests. */
#define _POSIX_C_SOURCE 200809L
#include "fake_platform.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void log_event(struct fake *f, enum fake_op op, uint32_t vcpu, uint64_t a, uint64_t b,
		      uint64_t c)
{
	f->counts[op]++;
	if (f->log_enabled && f->nlog < FAKE_LOG_MAX) {
		struct fake_event *e = &f->log[f->nlog++];
		e->op = op;
		e->vcpu = vcpu;
		e->a = a;
		e->b = b;
		e->c = c;
	}
}

/* The range holding [gpa, gpa + len) as one piece of host memory, or NULL.
 * Overflow-safe. */
static struct fake_range *find(struct fake *f, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < f->nram; i++) {
		struct fake_range *r = &f->ram[i];
		if (gpa >= r->base && gpa - r->base <= r->size && len <= r->size - (gpa - r->base))
			return r;
	}
	return NULL;
}

/* Copy with ranges that touch treated as contiguous RAM. */
static bool copy(struct fake *f, uint64_t gpa, uint8_t *host, size_t len, bool to_guest, bool check)
{
	while (len > 0) {
		struct fake_range *r = find(f, gpa, 1);
		uint64_t off, n;
		if (!r)
			return false;
		off = gpa - r->base;
		n = r->size - off;
		if (n > len)
			n = len;
		if (!check) {
			if (to_guest)
				memcpy(r->mem + off, host, (size_t)n);
			else
				memcpy(host, r->mem + off, (size_t)n);
		}
		host += n;
		len -= (size_t)n;
		if (len && gpa + n < gpa)
			return false;
		gpa += n;
	}
	return true;
}

static uint64_t first8(const void *p, size_t len)
{
	uint64_t v = 0;
	const uint8_t *b = p;
	for (size_t i = 0; i < len && i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static int f_mem_read(void *ctx, uint64_t gpa, void *dst, size_t len)
{
	struct fake *f = ctx;
	bool ok;
	pthread_mutex_lock(&f->lock);
	ok = copy(f, gpa, dst, len, false, true);
	if (ok)
		copy(f, gpa, dst, len, false, false);
	log_event(f, FOP_MEM_READ, UINT32_MAX, gpa, len, ok ? first8(dst, len) : 0);
	pthread_mutex_unlock(&f->lock);
	if (ok && f->after_read)
		f->after_read(f, gpa, len);
	return ok ? HCABI_REF_POK : HCABI_REF_PERR_FAULT;
}

static int f_mem_write(void *ctx, uint64_t gpa, const void *src, size_t len)
{
	struct fake *f = ctx;
	bool ok;
	pthread_mutex_lock(&f->lock);
	ok = copy(f, gpa, (uint8_t *)(uintptr_t)src, len, true, true);
	if (ok)
		copy(f, gpa, (uint8_t *)(uintptr_t)src, len, true, false);
	log_event(f, FOP_MEM_WRITE, UINT32_MAX, gpa, len, first8(src, len));
	pthread_mutex_unlock(&f->lock);
	return ok ? HCABI_REF_POK : HCABI_REF_PERR_FAULT;
}

static int f_mem_release(void *ctx, uint64_t gpa, uint64_t npages)
{
	struct fake *f = ctx;
	int r = HCABI_REF_POK;
	pthread_mutex_lock(&f->lock);
	log_event(f, FOP_MEM_RELEASE, UINT32_MAX, gpa, npages, 0);
	if (f->fail_mem_release) {
		r = f->fail_mem_release;
	} else {
		/* released pages read as zero (MEM-002) */
		for (uint64_t p = 0; p < npages; p++) {
			uint8_t zero[4096] = {0};
			if (!copy(f, gpa + p * 4096, zero, 4096, true, false)) {
				r = HCABI_REF_PERR_FAULT;
				break;
			}
		}
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static int f_vcpu_start(void *ctx, uint32_t vcpu, const struct hcabi_vcpu_boot_state *bs)
{
	struct fake *f = ctx;
	int r = HCABI_REF_POK;
	pthread_mutex_lock(&f->lock);
	log_event(f, FOP_VCPU_START, vcpu, bs->rip, bs->cr3, bs->arg);
	if (f->fail_vcpu_start) {
		r = f->fail_vcpu_start;
	} else if (vcpu < FAKE_MAX_VCPUS) {
		f->boot[vcpu] = *bs;
		f->start_count[vcpu]++;
		f->kick_pending[vcpu] = false;
		f->wake_pending[vcpu] = false;
		pthread_cond_broadcast(&f->cv);
	}
	pthread_mutex_unlock(&f->lock);
	if (r == HCABI_REF_POK && f->during_start)
		f->during_start(f, vcpu);
	return r;
}

static struct timespec in_ms(unsigned ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

static int f_vcpu_block(void *ctx, uint32_t vcpu, uint64_t deadline)
{
	struct fake *f = ctx;
	int r;
	pthread_mutex_lock(&f->lock);
	log_event(f, FOP_VCPU_BLOCK, vcpu, deadline, 0, 0);
	f->in_block[vcpu]++;
	pthread_cond_broadcast(&f->cv);
	for (;;) {
		if (f->fail_vcpu_block) {
			r = f->fail_vcpu_block;
			break;
		}
		if (f->kick_pending[vcpu] || f->wake_pending[vcpu]) {
			f->kick_pending[vcpu] = false;
			f->wake_pending[vcpu] = false;
			r = f->kick_returns_zero ? 0 : 1;
			break;
		}
		if (f->early_timeouts > 0) {
			f->early_timeouts--;
			r = 0;
			break;
		}
		if (f->mono >= deadline) {
			r = 0;
			break;
		}
		if (f->auto_advance && deadline != UINT64_MAX) {
			f->mono = deadline;
			r = 0;
			break;
		}
		struct timespec ts = in_ms(50);
		pthread_cond_timedwait(&f->cv, &f->lock, &ts);
	}
	f->in_block[vcpu]--;
	pthread_mutex_unlock(&f->lock);
	return r;
}

static int f_vcpu_kick(void *ctx, uint32_t vcpu)
{
	struct fake *f = ctx;
	int r = HCABI_REF_POK;
	pthread_mutex_lock(&f->lock);
	log_event(f, FOP_VCPU_KICK, vcpu, 0, 0, 0);
	if (f->fail_vcpu_kick) {
		r = f->fail_vcpu_kick;
	} else {
		f->kick_pending[vcpu] = true;
		pthread_cond_broadcast(&f->cv);
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static void f_vcpu_yield(void *ctx, uint32_t vcpu, uint32_t target)
{
	struct fake *f = ctx;
	pthread_mutex_lock(&f->lock);
	log_event(f, FOP_VCPU_YIELD, vcpu, target, 0, 0);
	pthread_mutex_unlock(&f->lock);
}

static int f_inject_irq(void *ctx, uint32_t vcpu, uint8_t vector)
{
	struct fake *f = ctx;
	int r = HCABI_REF_POK;
	pthread_mutex_lock(&f->lock);
	log_event(f, FOP_INJECT_IRQ, vcpu, vector, 0, 0);
	if (f->fail_inject_irq) {
		r = f->fail_inject_irq;
	} else {
		f->irqs[vcpu][vector]++;
		f->wake_pending[vcpu] = true;
		pthread_cond_broadcast(&f->cv);
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static int f_timer_arm(void *ctx, uint32_t vcpu, uint64_t deadline, uint8_t vector)
{
	struct fake *f = ctx;
	int r = HCABI_REF_POK;
	pthread_mutex_lock(&f->lock);
	log_event(f, FOP_TIMER_ARM, vcpu, deadline, vector, 0);
	if (f->fail_timer_arm) {
		r = f->fail_timer_arm;
	} else {
		f->timer_armed[vcpu] = true;
		f->timer_deadline[vcpu] = deadline;
		f->timer_period[vcpu] = 0;
		f->timer_vector[vcpu] = vector;
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static int f_timer_arm_periodic(void *ctx, uint32_t vcpu, uint64_t first, uint64_t period,
				uint8_t vector)
{
	struct fake *f = ctx;
	int r = HCABI_REF_POK;
	pthread_mutex_lock(&f->lock);
	log_event(f, FOP_TIMER_ARM_PERIODIC, vcpu, first, period, vector);
	if (f->fail_timer_arm_periodic) {
		r = f->fail_timer_arm_periodic;
	} else {
		f->timer_armed[vcpu] = true;
		f->timer_deadline[vcpu] = first;
		f->timer_period[vcpu] = period;
		f->timer_vector[vcpu] = vector;
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static int f_timer_cancel(void *ctx, uint32_t vcpu, bool *was_pending)
{
	struct fake *f = ctx;
	int r = HCABI_REF_POK;
	pthread_mutex_lock(&f->lock);
	log_event(f, FOP_TIMER_CANCEL, vcpu, 0, 0, 0);
	if (f->fail_timer_cancel) {
		r = f->fail_timer_cancel;
	} else {
		*was_pending = f->timer_armed[vcpu];
		f->timer_armed[vcpu] = false;
		f->timer_period[vcpu] = 0;
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static int f_tlb_flush(void *ctx, uint32_t vcpu, uint64_t gva, uint64_t npages)
{
	struct fake *f = ctx;
	int r = HCABI_REF_POK;
	pthread_mutex_lock(&f->lock);
	log_event(f, FOP_TLB_FLUSH, vcpu, gva, npages, 0);
	if (f->fail_tlb_flush)
		r = f->fail_tlb_flush;
	else
		f->tlb_flushes[vcpu]++;
	pthread_mutex_unlock(&f->lock);
	return r;
}

static uint64_t f_clock_mono(void *ctx)
{
	struct fake *f = ctx;
	uint64_t v;
	pthread_mutex_lock(&f->lock);
	f->counts[FOP_CLOCK_MONO]++;
	v = f->mono;
	pthread_mutex_unlock(&f->lock);
	return v;
}

static uint64_t f_clock_wall(void *ctx)
{
	struct fake *f = ctx;
	uint64_t v;
	pthread_mutex_lock(&f->lock);
	f->counts[FOP_CLOCK_WALL]++;
	v = f->wall;
	pthread_mutex_unlock(&f->lock);
	return v;
}

static uint64_t f_steal_ns(void *ctx, uint32_t vcpu)
{
	struct fake *f = ctx;
	uint64_t v;
	pthread_mutex_lock(&f->lock);
	f->counts[FOP_STEAL_NS]++;
	v = f->steal[vcpu];
	pthread_mutex_unlock(&f->lock);
	return v;
}

static int64_t f_console_write(void *ctx, const void *buf, size_t len)
{
	struct fake *f = ctx;
	int64_t r;
	pthread_mutex_lock(&f->lock);
	log_event(f, FOP_CONSOLE_WRITE, UINT32_MAX, len, 0, first8(buf, len));
	if (f->fail_console_write || (f->write_fail_at && f->nout >= f->write_fail_at)) {
		r = HCABI_REF_PERR_HOST;
	} else {
		size_t n = len;
		if (f->write_chunk && n > f->write_chunk)
			n = f->write_chunk;
		if (f->write_fail_at && n > f->write_fail_at - f->nout)
			n = f->write_fail_at - f->nout;
		if (n > FAKE_OUT_MAX - f->nout)
			n = FAKE_OUT_MAX - f->nout;
		memcpy(f->out + f->nout, buf, n);
		f->nout += n;
		r = (int64_t)n;
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static int64_t f_console_read(void *ctx, void *buf, size_t len)
{
	struct fake *f = ctx;
	int64_t r;
	pthread_mutex_lock(&f->lock);
	log_event(f, FOP_CONSOLE_READ, UINT32_MAX, len, 0, 0);
	if (f->fail_console_read) {
		r = HCABI_REF_PERR_HOST;
	} else if (f->console_read_overclaim) {
		r = (int64_t)len + 1;
	} else if (f->console_read_lazy) {
		r = (int64_t)(len < 5 ? len : 5);
	} else {
		size_t n = f->nin - f->in_pos;
		if (n > len)
			n = len;
		memcpy(buf, f->in + f->in_pos, n);
		f->in_pos += n;
		r = (int64_t)n;
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

const struct hcabi_platform_ops fake_ops = {
    .mem_read = f_mem_read,
    .mem_write = f_mem_write,
    .mem_release = f_mem_release,
    .vcpu_start = f_vcpu_start,
    .vcpu_block = f_vcpu_block,
    .vcpu_kick = f_vcpu_kick,
    .vcpu_yield = f_vcpu_yield,
    .inject_irq = f_inject_irq,
    .timer_arm = f_timer_arm,
    .timer_cancel = f_timer_cancel,
    .timer_arm_periodic = f_timer_arm_periodic,
    .tlb_flush = f_tlb_flush,
    .clock_monotonic_ns = f_clock_mono,
    .clock_wall_ns = f_clock_wall,
    .steal_ns = f_steal_ns,
    .console_write = f_console_write,
    .console_read = f_console_read,
};

void fake_init(struct fake *f, const struct hcabi_ref_ram_range *ranges, unsigned n)
{
	static const struct hcabi_ref_ram_range dflt[2] = {
	    {FAKE_R0_BASE, FAKE_R0_SIZE},
	    {FAKE_R1_BASE, FAKE_R1_SIZE},
	};
	if (!ranges) {
		ranges = dflt;
		n = 2;
	}
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->nram = n;
	for (unsigned i = 0; i < n && i < FAKE_MAX_RANGES; i++) {
		f->cfg_ram[i] = ranges[i];
		f->ram[i].base = ranges[i].base;
		f->ram[i].size = ranges[i].size;
		/* not zero: the core must never rely on fresh memory being 0 */
		f->ram[i].mem = malloc((size_t)ranges[i].size);
		if (f->ram[i].mem)
			memset(f->ram[i].mem, 0x5A, (size_t)ranges[i].size);
	}
	f->log_enabled = true;
	f->auto_advance = true;
	f->mono = 1000000;
	f->wall = 1700000000000000000ull;
}

void fake_destroy(struct fake *f)
{
	for (unsigned i = 0; i < f->nram; i++)
		free(f->ram[i].mem);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->lock);
}

uint8_t *fake_ptr(struct fake *f, uint64_t gpa, size_t len)
{
	struct fake_range *r = find(f, gpa, len);
	if (!r)
		abort();
	return r->mem + (gpa - r->base);
}

void fake_put(struct fake *f, uint64_t gpa, const void *src, size_t len)
{
	pthread_mutex_lock(&f->lock);
	if (!copy(f, gpa, (uint8_t *)(uintptr_t)src, len, true, false))
		abort();
	pthread_mutex_unlock(&f->lock);
}

void fake_get(struct fake *f, uint64_t gpa, void *dst, size_t len)
{
	pthread_mutex_lock(&f->lock);
	if (!copy(f, gpa, dst, len, false, false))
		abort();
	pthread_mutex_unlock(&f->lock);
}

uint64_t fake_get64(struct fake *f, uint64_t gpa)
{
	uint8_t b[8];
	fake_get(f, gpa, b, 8);
	return first8(b, 8);
}

void fake_put64(struct fake *f, uint64_t gpa, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	fake_put(f, gpa, b, 8);
}

unsigned fake_count(struct fake *f, enum fake_op op, uint32_t vcpu)
{
	unsigned n = 0;
	pthread_mutex_lock(&f->lock);
	if (vcpu == UINT32_MAX) {
		n = f->counts[op];
	} else {
		for (unsigned i = 0; i < f->nlog; i++)
			if (f->log[i].op == op && f->log[i].vcpu == vcpu)
				n++;
	}
	pthread_mutex_unlock(&f->lock);
	return n;
}

unsigned fake_effects(struct fake *f)
{
	unsigned n = 0;
	pthread_mutex_lock(&f->lock);
	for (int op = 0; op < FOP__COUNT; op++)
		if (op != FOP_CLOCK_MONO && op != FOP_CLOCK_WALL && op != FOP_STEAL_NS)
			n += f->counts[op];
	pthread_mutex_unlock(&f->lock);
	return n;
}

const struct fake_event *fake_last(struct fake *f, enum fake_op op)
{
	const struct fake_event *e = NULL;
	pthread_mutex_lock(&f->lock);
	for (unsigned i = 0; i < f->nlog; i++)
		if (f->log[i].op == op)
			e = &f->log[i];
	pthread_mutex_unlock(&f->lock);
	return e;
}

void fake_clear(struct fake *f)
{
	pthread_mutex_lock(&f->lock);
	f->nlog = 0;
	memset(f->counts, 0, sizeof(f->counts));
	pthread_mutex_unlock(&f->lock);
}

void fake_set_mono(struct fake *f, uint64_t ns)
{
	pthread_mutex_lock(&f->lock);
	f->mono = ns;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->lock);
}

void fake_console_input(struct fake *f, const void *buf, size_t n)
{
	pthread_mutex_lock(&f->lock);
	if (n > FAKE_IN_MAX - f->nin)
		n = FAKE_IN_MAX - f->nin;
	memcpy(f->in + f->nin, buf, n);
	f->nin += n;
	pthread_mutex_unlock(&f->lock);
}

bool fake_wait_blocked(struct fake *f, uint32_t vcpu)
{
	bool ok;
	pthread_mutex_lock(&f->lock);
	for (int i = 0; i < 100 && f->in_block[vcpu] == 0; i++) {
		struct timespec ts = in_ms(50);
		pthread_cond_timedwait(&f->cv, &f->lock, &ts);
	}
	ok = f->in_block[vcpu] > 0;
	pthread_mutex_unlock(&f->lock);
	return ok;
}
