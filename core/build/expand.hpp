#pragma once
#include "config/node.hpp"

namespace lighter::host {

// The config `--print-config` shows: every "@path" that points at plain data is replaced by a
// copy of that data (itself expanded); references to components stay references, since they
// mean one shared instance. Missing targets and cycles are ConfigErrors, as when building.
cfg::Node expand_plain_references(const cfg::Node& root);

}  // namespace lighter::host
