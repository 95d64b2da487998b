/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What a test program expects of tailgate, written next to its code (the
 * kernel selftests' __failure __msg() idea): BTF decl tags on the
 * program's function, which the test tables read from the object's BTF
 * (tests/lib/bpf_fixture.c, fx__expect()). Nothing here reaches the
 * kernel's behaviour: decl tags are BTF only.
 *
 *   __tg_reject("standalone")  the verifier refuses the program as it is
 *   __tg_reject("wrapped")     it verifies alone and is refused once
 *                              tailgate wraps it (composed program)
 *   __tg_reject("preflight")   tailgate refuses it before the kernel sees it
 *   __tg_msg("...")            a substring of what tailgate prints
 *   __tg_insn("OP[@DEPTH]")    the instruction the message must name, in
 *                              the program's own numbering: the first one
 *                              whose opcode byte is OP (hex), in the first
 *                              function at call depth DEPTH when given
 */
#ifndef __TG_TEST_EXPECT_H
#define __TG_TEST_EXPECT_H

#define __tg_reject(where)	__attribute__((btf_decl_tag("tg_reject:" where)))
#define __tg_msg(msg)		__attribute__((btf_decl_tag("tg_msg:" msg)))
#define __tg_insn(op)		__attribute__((btf_decl_tag("tg_insn:" op)))

#endif /* __TG_TEST_EXPECT_H */
