# shellcheck shell=bash
# bench/peers-systems/vx6-udp.sh - vx6 over its UDP datagram transport.
VX6_TRANSPORT=udp
. "$(dirname "${BASH_SOURCE[0]}")/vx6.sh"
