// The models plugin: ready-made LighterModule subclasses.
#include "supervised_module.hpp"

LIGHTER_PLUGIN(registrar) { lighter::models::register_supervised_module(registrar); }
