package ngx

import "unsafe"

// The host functions of the ngx import module, as docs/abi.md declares them. Every
// parameter and result is an i32: pointers are unsafe.Pointer, the rest int32.

//go:wasmimport ngx log
func hostLog(level int32, msg unsafe.Pointer, msgLen int32) int32

//go:wasmimport ngx now
func hostNow(out unsafe.Pointer) int32

//go:wasmimport ngx get_phase
func hostGetPhase(out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx worker_id
func hostWorkerID() int32

//go:wasmimport ngx worker_count
func hostWorkerCount() int32

//go:wasmimport ngx worker_pid
func hostWorkerPID() int32

//go:wasmimport ngx worker_exiting
func hostWorkerExiting() int32

//go:wasmimport ngx req_get_method
func hostReqGetMethod(out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx req_set_method
func hostReqSetMethod(method unsafe.Pointer, methodLen int32) int32

//go:wasmimport ngx req_get_uri
func hostReqGetURI(out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx req_set_uri
func hostReqSetURI(uri unsafe.Pointer, uriLen int32, jump int32) int32

//go:wasmimport ngx req_get_query
func hostReqGetQuery(out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx req_set_query
func hostReqSetQuery(query unsafe.Pointer, queryLen int32) int32

//go:wasmimport ngx req_get_arg
func hostReqGetArg(name unsafe.Pointer, nameLen int32, out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx req_http_version
func hostReqHTTPVersion() int32

//go:wasmimport ngx req_is_internal
func hostReqIsInternal() int32

//go:wasmimport ngx req_start_time
func hostReqStartTime(out unsafe.Pointer) int32

//go:wasmimport ngx req_get_header
func hostReqGetHeader(name unsafe.Pointer, nameLen int32, out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx req_get_headers
func hostReqGetHeaders(out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx req_set_header
func hostReqSetHeader(name unsafe.Pointer, nameLen int32, value unsafe.Pointer, valueLen int32) int32

//go:wasmimport ngx req_add_header
func hostReqAddHeader(name unsafe.Pointer, nameLen int32, value unsafe.Pointer, valueLen int32) int32

//go:wasmimport ngx req_clear_header
func hostReqClearHeader(name unsafe.Pointer, nameLen int32) int32

//go:wasmimport ngx var_get
func hostVarGet(name unsafe.Pointer, nameLen int32, out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx var_set
func hostVarSet(name unsafe.Pointer, nameLen int32, value unsafe.Pointer, valueLen int32) int32

//go:wasmimport ngx req_body_len
func hostReqBodyLen() int32

//go:wasmimport ngx req_get_body
func hostReqGetBody(offset int32, out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx req_discard_body
func hostReqDiscardBody() int32

//go:wasmimport ngx req_read_body
func hostReqReadBody() int32

//go:wasmimport ngx resp_get_status
func hostRespGetStatus() int32

//go:wasmimport ngx resp_set_status
func hostRespSetStatus(status int32) int32

//go:wasmimport ngx resp_print
func hostRespPrint(data unsafe.Pointer, dataLen int32) int32

//go:wasmimport ngx resp_say
func hostRespSay(data unsafe.Pointer, dataLen int32) int32

//go:wasmimport ngx resp_flush
func hostRespFlush() int32

//go:wasmimport ngx resp_exit
func hostRespExit(status int32) int32

//go:wasmimport ngx resp_redirect
func hostRespRedirect(uri unsafe.Pointer, uriLen int32, status int32) int32

//go:wasmimport ngx req_exec
func hostReqExec(uri unsafe.Pointer, uriLen int32, args unsafe.Pointer, argsLen int32) int32

//go:wasmimport ngx resp_get_header
func hostRespGetHeader(name unsafe.Pointer, nameLen int32, out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx resp_get_headers
func hostRespGetHeaders(out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx resp_set_header
func hostRespSetHeader(name unsafe.Pointer, nameLen int32, value unsafe.Pointer, valueLen int32) int32

//go:wasmimport ngx resp_add_header
func hostRespAddHeader(name unsafe.Pointer, nameLen int32, value unsafe.Pointer, valueLen int32) int32

//go:wasmimport ngx resp_clear_header
func hostRespClearHeader(name unsafe.Pointer, nameLen int32) int32

//go:wasmimport ngx body_chunk_get
func hostBodyChunkGet(out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx body_chunk_set
func hostBodyChunkSet(data unsafe.Pointer, dataLen int32) int32

//go:wasmimport ngx body_chunk_is_last
func hostBodyChunkIsLast() int32

//go:wasmimport ngx ctx_get
func hostCtxGet(key unsafe.Pointer, keyLen int32, out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx ctx_set
func hostCtxSet(key unsafe.Pointer, keyLen int32, value unsafe.Pointer, valueLen int32) int32

//go:wasmimport ngx ctx_delete
func hostCtxDelete(key unsafe.Pointer, keyLen int32) int32

//go:wasmimport ngx sleep
func hostSleep(ms int32) int32

//go:wasmimport ngx shdict_get
func hostShdictGet(dict unsafe.Pointer, dictLen int32, key unsafe.Pointer, keyLen int32, out unsafe.Pointer, outCap int32, meta unsafe.Pointer) int32

//go:wasmimport ngx shdict_set
func hostShdictSet(dict unsafe.Pointer, dictLen int32, key unsafe.Pointer, keyLen int32, val unsafe.Pointer, valLen int32, opts unsafe.Pointer) int32

//go:wasmimport ngx shdict_delete
func hostShdictDelete(dict unsafe.Pointer, dictLen int32, key unsafe.Pointer, keyLen int32) int32

//go:wasmimport ngx shdict_incr
func hostShdictIncr(dict unsafe.Pointer, dictLen int32, key unsafe.Pointer, keyLen int32, args unsafe.Pointer, out unsafe.Pointer) int32

//go:wasmimport ngx shdict_ttl
func hostShdictTTL(dict unsafe.Pointer, dictLen int32, key unsafe.Pointer, keyLen int32, out unsafe.Pointer) int32

//go:wasmimport ngx subreq_add
func hostSubreqAdd(method unsafe.Pointer, methodLen int32, uri unsafe.Pointer, uriLen int32, args unsafe.Pointer, argsLen int32, body unsafe.Pointer, bodyLen int32, options int32) int32

//go:wasmimport ngx subreq_wait
func hostSubreqWait() int32

//go:wasmimport ngx subreq_status
func hostSubreqStatus(id int32) int32

//go:wasmimport ngx subreq_truncated
func hostSubreqTruncated(id int32) int32

//go:wasmimport ngx subreq_headers
func hostSubreqHeaders(id int32, out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx subreq_body
func hostSubreqBody(id int32, out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx timer_at
func hostTimerAt(delayMs int32, export unsafe.Pointer, exportLen int32, arg unsafe.Pointer, argLen int32) int32

//go:wasmimport ngx timer_every
func hostTimerEvery(intervalMs int32, export unsafe.Pointer, exportLen int32, arg unsafe.Pointer, argLen int32) int32

//go:wasmimport ngx timer_arg
func hostTimerArg(out unsafe.Pointer, outCap int32) int32

//go:wasmimport ngx timer_pending_count
func hostTimerPendingCount() int32

//go:wasmimport ngx timer_running_count
func hostTimerRunningCount() int32
