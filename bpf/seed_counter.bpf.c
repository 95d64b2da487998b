#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
struct {
__uint(type, BPF_MAP_TYPE_ARRAY);
__uint(max_entries, 1);
__type(key, u32);
__type(value, u64);
} packet_count_map SEC(".maps");
SEC("xdp")
int xdp_packet_counter(struct xdp_md *ctx) {
u32 key = 0;
u64 *value = bpf_map_lookup_elem(&packet_count_map, &key);
if (value) {
(*value)++;
}
return XDP_PASS;
}
char _license[] SEC("license") = "GPL";
