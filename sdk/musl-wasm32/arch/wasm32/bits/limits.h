/* Guest page size (KANDELO_PAGE_SIZE in <kandelo/abi.h>), not the 64 KiB wasm page. */
#define PAGESIZE 4096
