/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds / microseconds. */
uint64_t ci_now_ms(void);
uint64_t ci_now_us(void);
