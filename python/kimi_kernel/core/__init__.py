"""The part of kimi-kernel that never imports kimi-cli: finding and checking the kagent
binary (`_locate`, `_binfmt`), its JSON-RPC client (`_client`), its command line and
lifetime (`_launch`), choosing the kernel (`_select`, `_argv`) and `doctor` (`_doctor`).

A test (tests/runtime/test_layering.py) walks these modules and fails on any import of
kimi_cli, kosong or kimi_kernel.host."""
