// Test library: a shared object without the plugin entry point.
extern "C" int lighter_test_not_a_plugin() { return 1; }
