"""What the tools under scripts/ share: the platform matrix, architecture names, binary-format
facts, the Wire test client and the scripted-echo sandbox (one copy each, used by kk_build,
kk_e2e, kk_bench, kk_release and the test suites)."""
