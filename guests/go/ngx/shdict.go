package ngx

import (
	"math"
	"time"
	"unsafe"
)

// Dict is a shared dictionary, a zone of wasm_shared_dict shared by the workers
// (ngx.shared.DICT). Times are milliseconds on nginx's monotonic clock; a ttl of 0 never
// expires.
type Dict struct{ name string }

// SharedDict returns the shared dictionary declared as wasm_shared_dict name ...;. Its
// methods return ErrBadArgument for an unknown zone.
func SharedDict(name string) Dict { return Dict{name} }

// Kind is the type of a value in a shared dictionary.
type Kind uint32

// The kinds of values.
const (
	KindBytes Kind = 1 // a string of bytes
	KindFloat Kind = 2 // a float64
	KindInt   Kind = 3 // an int64
	KindBool  Kind = 4 // a bool
)

// Value is a value read from a shared dictionary.
type Value struct {
	// Kind says how Data is encoded.
	Kind Kind
	// Flags are the user flags stored with the value (0 unless set with SetFlags).
	Flags uint32
	// Data is the value's bytes; numbers are 8 little-endian bytes, a bool one byte.
	Data []byte
}

// String returns a KindBytes value as a string.
func (v Value) String() string { return string(v.Data) }

// Float returns the value of a KindFloat (or KindInt) value.
func (v Value) Float() float64 {
	if v.Kind == KindInt {
		return float64(v.Int())
	}
	if len(v.Data) != 8 {
		return 0
	}
	return math.Float64frombits(get64(v.Data))
}

// Int returns the value of a KindInt (or KindFloat, truncated) value.
func (v Value) Int() int64 {
	if v.Kind == KindFloat {
		return int64(v.Float())
	}
	if len(v.Data) != 8 {
		return 0
	}
	return int64(get64(v.Data))
}

// Bool returns the value of a KindBool value.
func (v Value) Bool() bool { return len(v.Data) == 1 && v.Data[0] != 0 }

// Get returns the value of key; ErrNotFound if it is absent or expired.
func (d Dict) Get(key string) (Value, error) {
	var meta [3]uint32
	b, err := getBytes(func(out unsafe.Pointer, outCap int32) int32 {
		return hostShdictGet(ptr(d.name), n(d.name), ptr(key), n(key), out, outCap, unsafe.Pointer(&meta))
	})
	if err != nil {
		return Value{}, err
	}
	return Value{Kind(meta[0]), meta[1], b}, nil
}

// The operations of shdict_set.
const (
	opSet     = 0
	opSafeSet = 1
	opAdd     = 2
	opReplace = 4
)

// store calls shdict_set; forcible reports that live entries were evicted to make room.
func (d Dict) store(op uint32, key string, kind Kind, flags uint32, value []byte, ttl time.Duration) (forcible bool, err error) {
	var opts [24]byte
	put32(opts[0:], uint32(kind))
	put32(opts[4:], flags)
	put32(opts[8:], op)
	put64(opts[16:], uint64(ttl.Milliseconds()))
	rc := hostShdictSet(ptr(d.name), n(d.name), ptr(key), n(key), bptr(value), n(value), unsafe.Pointer(&opts))
	return rc == 1, errOf(rc)
}

// Set stores value under key for ttl (0: never expires), evicting the least recently used
// entries if the zone is full (set). forcible reports such an eviction.
func (d Dict) Set(key string, value []byte, ttl time.Duration) (forcible bool, err error) {
	return d.store(opSet, key, KindBytes, 0, value, ttl)
}

// SetFlags is Set with user flags stored beside the value.
func (d Dict) SetFlags(key string, value []byte, flags uint32, ttl time.Duration) (forcible bool, err error) {
	return d.store(opSet, key, KindBytes, flags, value, ttl)
}

// SafeSet is Set without evicting live entries: ErrNoMemory if there is no room
// (safe_set).
func (d Dict) SafeSet(key string, value []byte, ttl time.Duration) error {
	_, err := d.store(opSafeSet, key, KindBytes, 0, value, ttl)
	return err
}

// Add stores value only if key is absent: ErrExists otherwise (add).
func (d Dict) Add(key string, value []byte, ttl time.Duration) (forcible bool, err error) {
	return d.store(opAdd, key, KindBytes, 0, value, ttl)
}

// Replace stores value only if key is present: ErrNotFound otherwise (replace).
func (d Dict) Replace(key string, value []byte, ttl time.Duration) (forcible bool, err error) {
	return d.store(opReplace, key, KindBytes, 0, value, ttl)
}

// SetInt stores an int64, kept exactly.
func (d Dict) SetInt(key string, value int64, ttl time.Duration) (forcible bool, err error) {
	b := le64(uint64(value))
	return d.store(opSet, key, KindInt, 0, b, ttl)
}

// SetFloat stores a float64.
func (d Dict) SetFloat(key string, value float64, ttl time.Duration) (forcible bool, err error) {
	b := le64(math.Float64bits(value))
	return d.store(opSet, key, KindFloat, 0, b, ttl)
}

// SetBool stores a bool.
func (d Dict) SetBool(key string, value bool, ttl time.Duration) (forcible bool, err error) {
	b := []byte{0}
	if value {
		b[0] = 1
	}
	return d.store(opSet, key, KindBool, 0, b, ttl)
}

// Delete removes key (delete).
func (d Dict) Delete(key string) error {
	return errOf(hostShdictDelete(ptr(d.name), n(d.name), ptr(key), n(key)))
}

// Incr adds by to the number at key and returns the result (incr); ErrNotFound if key is
// absent, ErrBadArgument if it holds no number.
func (d Dict) Incr(key string, by float64) (float64, error) {
	return d.incr(key, by, 0, 0, false)
}

// IncrInit is Incr where an absent key starts at init, expiring after ttl (0: never).
func (d Dict) IncrInit(key string, by, init float64, ttl time.Duration) (float64, error) {
	return d.incr(key, by, init, ttl, true)
}

func (d Dict) incr(key string, by, init float64, ttl time.Duration, useInit bool) (float64, error) {
	var args [32]byte
	put64(args[0:], math.Float64bits(by))
	put64(args[8:], math.Float64bits(init))
	put64(args[16:], uint64(ttl.Milliseconds()))
	if useInit {
		put32(args[24:], 1)
	}
	var out float64
	rc := hostShdictIncr(ptr(d.name), n(d.name), ptr(key), n(key), unsafe.Pointer(&args), unsafe.Pointer(&out))
	if rc < 0 {
		return 0, Error(rc)
	}
	return out, nil
}

// TTL returns the time key has left (0: it never expires); ErrNotFound if absent.
func (d Dict) TTL(key string) (time.Duration, error) {
	var ms int64
	rc := hostShdictTTL(ptr(d.name), n(d.name), ptr(key), n(key), unsafe.Pointer(&ms))
	if rc < 0 {
		return 0, Error(rc)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// put32 writes v little-endian at b[0:4].
func put32(b []byte, v uint32) {
	for i := range 4 {
		b[i] = byte(v >> (8 * i))
	}
}

// put64 writes v little-endian at b[0:8].
func put64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (8 * i))
	}
}

// get64 reads a little-endian uint64 from b[0:8].
func get64(b []byte) uint64 {
	var v uint64
	for i := range 8 {
		v |= uint64(b[i]) << (8 * i)
	}
	return v
}

// le64 returns v as 8 little-endian bytes.
func le64(v uint64) []byte {
	b := make([]byte, 8)
	put64(b, v)
	return b
}
