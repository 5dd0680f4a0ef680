# shellcheck shell=bash
# bench/peers-systems/vx6-quic.sh - vx6 over QUIC (TLS 1.3, raw public keys).
VX6_TRANSPORT=quic
. "$(dirname "${BASH_SOURCE[0]}")/vx6.sh"
