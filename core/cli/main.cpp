#include <string>
#include <vector>

#include "cli/cli.hpp"

int main(int argc, char** argv) { return lighter::host::run_cli(std::vector<std::string>(argv + 1, argv + argc)); }
