// Host functions v1 (module "syncer:v1"). The contract is in docs/abi-v1.md. Every function takes
// pointers into this module's own memory: the host copies with one bulk copy, never byte by byte.

/** Length in bytes of the current call's request (UTF-8 JSON). */
@external("syncer:v1", "input_length")
export declare function input_length(): u32;
/** Copies the request into [ptr, ptr+len). */
@external("syncer:v1", "input_read")
export declare function input_read(ptr: usize, len: u32): void;
/** Sets the call's response to the UTF-8 bytes at [ptr, ptr+len). */
@external("syncer:v1", "output_write")
export declare function output_write(ptr: usize, len: u32): void;
/** Sets the call's error, a UTF-8 JSON object {kind, message}; the export then returns non-zero. */
@external("syncer:v1", "error_write")
export declare function error_write(ptr: usize, len: u32): void;
/** Writes a log line (0 debug, 1 info, 2 warn, 3 error) into the run log. */
@external("syncer:v1", "log")
export declare function log_write(level: u32, ptr: usize, len: u32): void;
/** Copies the pending result of the last host call that returned a length. */
@external("syncer:v1", "result_read")
export declare function result_read(ptr: usize, len: u32): void;
/** Performs an HTTP request (JSON envelope); returns the length of the JSON result to read with result_read. */
@external("syncer:v1", "http")
export declare function http_request(ptr: usize, len: u32): u32;
/** Copies the body of the last HTTP answer asked for apart (body_apart: true) to [ptr, ptr+len). */
@external("syncer:v1", "http_body")
export declare function http_body(ptr: usize, len: u32): void;
/** Sends a GET (JSON envelope, as for http) without waiting: the next http call of the same request takes its answer. 1 when sent, else 0. */
@external("syncer:v1", "http_prefetch")
export declare function http_prefetch(ptr: usize, len: u32): i32;
/** Reads a cache key; returns -1 when missing or expired, else the value's length (read with result_read). */
@external("syncer:v1", "kv_get")
export declare function kv_get(ptr: usize, len: u32): i32;
/** Stores {key, value, ttl_seconds}; returns 0 (a bad request is the call's error). */
@external("syncer:v1", "kv_set")
export declare function kv_set(ptr: usize, len: u32): u32;
/** {key}: 1 when the key has a value that has not expired, else 0; -1 on a bad request (the call's error). */
@external("syncer:v1", "kv_contains")
export declare function kv_contains(ptr: usize, len: u32): i32;
/** {key}: deletes it; 1 when it had a value that had not expired, else 0; -1 on a bad request. */
@external("syncer:v1", "kv_delete")
export declare function kv_delete(ptr: usize, len: u32): i32;
/** {prefix, after?, limit?}: returns the length of {keys, next} (read with result_read): a page of live keys in byte order. */
@external("syncer:v1", "kv_keys")
export declare function kv_keys(ptr: usize, len: u32): u32;
/** {prefix?}: deletes the keys that start with it (all by default); returns how many values went, -1 on a bad request. */
@external("syncer:v1", "kv_flush")
export declare function kv_flush(ptr: usize, len: u32): i32;
/** Emits an event {type, data}. */
@external("syncer:v1", "event_emit")
export declare function event_emit(ptr: usize, len: u32): void;
/** Reads hosts ({hostnames?, account?, limit?, after?}); returns the length of the JSON result. */
@external("syncer:v1", "hosts_read")
export declare function hosts_read(ptr: usize, len: u32): u32;
/** Length of the file handed over to this call (the command's file_option), or -1 when there is none. */
@external("syncer:v1", "file_length")
export declare function file_length(): i32;
/** Copies up to len bytes of the handed-over file, from offset, to ptr; returns how many were copied. */
@external("syncer:v1", "file_read")
export declare function file_read(offset: u32, ptr: usize, len: u32): u32;
