/**
 * How AssemblyScript plugins are compiled: used by build.ts for first-party plugins and by the
 * scaffold (`syncer plugins new`) for authors' plugins, so both build alike.
 */

/** Largest linear memory a plugin is built for, in 64 KiB pages (asc --maximumMemory); the host caps it again at load. */
export const PLUGIN_MAX_MEMORY_PAGES = 4096; // 256 MiB

/**
 * The stub runtime has no garbage collector: measured 2x faster than the incremental one on a
 * 100k-record transform; the host replaces an instance whose memory grew past 32 MiB, and a call
 * that needs more than its memory limit should page. json-as generates the JSON code. --debug only adds the
 * wasm `name` section (the code is the same byte for byte; the module about 12% larger), so an abort inside
 * AssemblyScript's library can name the plugin's function that led to it (src/plugins/host/wasm-frames.ts).
 * --sourceMap writes build/plugin.wasm.map beside the module (the code unchanged; the module names the map in
 * a custom section of a few bytes), from which the daemon finds the line in that function
 * (src/plugins/abort-location.ts).
 */
export const ASC_FLAGS = ["-O3", "--runtime", "stub", "--transform", "json-as", "--maximumMemory", String(PLUGIN_MAX_MEMORY_PAGES), "--debug", "--sourceMap"];

/**
 * json-as 1.6.0's SWAR and SIMD serialisers split a surrogate pair (an emoji) that straddles their
 * 4/8-character blocks, writing invalid UTF-8; NAIVE is correct and, measured on the 100k-record
 * transform, as fast. test/plugins/runtime.test.ts pins this ("an emoji at every offset").
 */
export const ASC_ENV = { JSON_MODE: "NAIVE" };
