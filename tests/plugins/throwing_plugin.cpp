// Test plugin: a model whose factory fails at run time (not a config problem), and one that
// reports a config problem through Args::fail.
#include <lighter/sdk.hpp>

#include <stdexcept>

LIGHTER_PLUGIN(registrar) {
  registrar.add<lighter::Model>("Exploding", "a model whose factory throws (test)", {},
                                [](const lighter::Args&) -> std::shared_ptr<lighter::Model> {
                                  throw std::runtime_error("cannot open weights file /nonexistent/w.pt");
                                });
  registrar.add<lighter::Model>("Picky", "a model that rejects its size (test)",
                                {lighter::param::integer("size", 1, "must be even")},
                                [](const lighter::Args& args) -> std::shared_ptr<lighter::Model> {
                                  args.fail("size", "expected an even number, got " + std::to_string(args.get<int64_t>("size")));
                                });
}
