/* wasm32 has no user-visible register file. */
struct user {
	unsigned long __unused[4];
};
#define ELF_NGREG 4
typedef unsigned long elf_greg_t, elf_gregset_t[ELF_NGREG];
typedef struct { unsigned long __unused[4]; } elf_fpregset_t;
