/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Stack frames of a chosen size for test programs, which the compiler
 * must keep whole: a struct of N bytes filled and copied into a map whose
 * value is exactly that big (with a 4-byte key beside it on the stack).
 * A volatile array does not do: clang keeps only the elements a program
 * touches. SCRATCH(n) declares the map once per object; FRAME(n, seed)
 * uses it in a function.
 */
#ifndef __TG_TEST_FRAME_H
#define __TG_TEST_FRAME_H

#define SCRATCH(n)								\
	struct scratch##n {							\
		__u8 b[n];							\
	};									\
	struct {								\
		__uint(type, BPF_MAP_TYPE_ARRAY);				\
		__uint(max_entries, 1);						\
		__type(key, __u32);						\
		__type(value, struct scratch##n);				\
	} scratch_map##n SEC(".maps")

#define FRAME(n, seed)								\
	({									\
		struct scratch##n __buf;					\
		__u32 __key = 0;						\
										\
		__builtin_memset(&__buf, (seed), sizeof(__buf));		\
		bpf_map_update_elem(&scratch_map##n, &__key, &__buf, BPF_ANY);	\
	})

#endif /* __TG_TEST_FRAME_H */
