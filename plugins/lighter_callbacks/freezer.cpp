// lighter.callbacks.Freezer: keeps chosen parameters frozen (requires_grad false) at the start of
// every training batch until a step or epoch, then unfreezes them once (Lighter's rules). Names
// are relative to the model's module, which for a LighterModule is its network.
#include <lighter/sdk.hpp>

#include <algorithm>
#include <optional>

#include "registrations.hpp"

namespace lighter::callbacks {

namespace {
const char* const kName = "lighter.callbacks.Freezer";

struct Selection {
  std::vector<std::string> names, name_starts_with, except_names, except_name_starts_with;
};

bool starts_with_any(const std::string& name, const std::vector<std::string>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& p) { return name.compare(0, p.size(), p) == 0; });
}
bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
  return "[" + out + "]";
}

class Freezer : public Callback {
 public:
  Freezer(Selection selection, std::optional<int64_t> until_step, std::optional<int64_t> until_epoch)
      : s_(std::move(selection)), until_step_(until_step), until_epoch_(until_epoch) {}

  // A typo must not silently freeze nothing: every name and prefix has to match a parameter.
  void setup(Trainer&, Model& model, const std::string& stage) override {
    if (stage == "fit") check_names(model.module());
  }

  void on_train_batch_start(Trainer& trainer, Model& model, const Dict&, int64_t) override {
    const bool step_done = until_step_ && trainer.global_step() >= *until_step_;
    const bool epoch_done = until_epoch_ && trainer.current_epoch() >= *until_epoch_;
    if (step_done || epoch_done) {
      if (frozen_) {
        log::info("Unfreezing the model.");
        set_requires_grad(model.module(), true);
        frozen_ = false;
      }
      return;
    }
    if (!frozen_) {
      log::info("Freezing the model.");
      set_requires_grad(model.module(), false);
      frozen_ = true;
    }
  }

 private:
  void set_requires_grad(torch::nn::Module& module, bool requires_grad) const {
    std::vector<std::string> froze, unfroze;
    for (auto& item : module.named_parameters()) {
      const std::string& name = item.key();
      torch::Tensor& param = item.value();
      if (contains(s_.except_names, name) || starts_with_any(name, s_.except_name_starts_with)) {
        param.set_requires_grad(true);
        if (!requires_grad) unfroze.push_back(name);
      } else if (contains(s_.names, name) || starts_with_any(name, s_.name_starts_with)) {
        param.set_requires_grad(requires_grad);
        // A zeroed gradient would still let momentum and weight decay move the parameter;
        // optimizers skip parameters without one.
        if (!requires_grad) param.mutable_grad() = torch::Tensor();
        (requires_grad ? unfroze : froze).push_back(name);
      } else {
        param.set_requires_grad(true);
      }
    }
    if (!froze.empty())
      log::info("Froze layers: " + joined(froze) +
                (until_step_ ? " until step " + std::to_string(*until_step_) : std::string()) +
                (until_epoch_ ? " until epoch " + std::to_string(*until_epoch_) : std::string()));
    if (!unfroze.empty()) log::info("Unfroze layers: " + joined(unfroze) + (requires_grad ? "" : " (excepted from freeze)"));
  }

  void check_names(torch::nn::Module& module) const {
    std::vector<std::string> params;
    for (const auto& item : module.named_parameters()) params.push_back(item.key());
    auto check = [&](const char* key, const std::vector<std::string>& wanted, bool prefixes) {
      for (const auto& w : wanted) {
        const bool found = prefixes ? std::any_of(params.begin(), params.end(),
                                                  [&](const std::string& p) { return p.compare(0, w.size(), w) == 0; })
                                    : contains(params, w);
        if (!found) throw std::runtime_error(no_match(key, w, prefixes, params));
      }
    };
    check("names", s_.names, false);
    check("name_starts_with", s_.name_starts_with, true);
    check("except_names", s_.except_names, false);
    check("except_name_starts_with", s_.except_name_starts_with, true);
  }

  static std::string no_match(const char* key, const std::string& wanted, bool prefix,
                              const std::vector<std::string>& params) {
    std::string message = std::string(kName) + ": " + key + ": " + (prefix ? "no parameter name starts with '" :
                                                                            "no parameter is named '") + wanted + "'";
    const auto similar = closest_matches(wanted, params, 3);
    if (!similar.empty()) message += "; similar names: " + joined(similar);
    std::vector<std::string> shown(params.begin(), params.begin() + std::min<size_t>(params.size(), 12));
    message += " (the network's parameters: " + (params.empty() ? std::string("none") : joined(shown)) +
               (params.size() > shown.size() ? " and " + std::to_string(params.size() - shown.size()) + " more" : "") +
               ")";
    return message;
  }

  Selection s_;
  std::optional<int64_t> until_step_, until_epoch_;
  bool frozen_ = false;
};

// A string or a list of strings, as Lighter's ensure_list accepts; null is the empty list.
std::vector<std::string> names_of(const Args& a, const std::string& key) {
  const Value v = a.value(key);
  if (v.is_null()) return {};
  if (v.is_string()) return {v.as_string()};
  std::vector<std::string> out;
  for (const Value& item : v.as_array()) {
    if (!item.is_string()) a.fail(key, "expected a string or a list of strings");
    out.push_back(item.as_string());
  }
  return out;
}

Param names_param(const std::string& name, const std::string& doc) {
  Param p = param::any(name, Value(), doc + " (a string or a list of strings)");
  p.type = Type::String | Type::List | Type::Null;
  p.element_type = Type::String;
  return p;
}

Param until_param(const std::string& name, const std::string& doc) {
  Param p = param::integer(name, std::nullopt, doc);
  p.type = Type::Int | Type::Null;
  p.default_value = Value();
  return p;
}
}  // namespace

void register_freezer(Registrar& r) {
  r.add<Callback>(
      kName, "freezes parameters by name or prefix, for good or until a step or epoch",
      {names_param("names", "full names of the parameters to freeze, relative to the network"),
       names_param("name_starts_with", "prefixes of the parameter names to freeze"),
       names_param("except_names", "parameters never frozen"),
       names_param("except_name_starts_with", "prefixes of parameters never frozen"),
       until_param("until_step", "unfreeze once the global step reaches this"),
       until_param("until_epoch", "unfreeze once the epoch reaches this")},
      [](const Args& a) {
        Selection s{names_of(a, "names"), names_of(a, "name_starts_with"), names_of(a, "except_names"),
                    names_of(a, "except_name_starts_with")};
        if (s.names.empty() && s.name_starts_with.empty())
          a.fail("names", "at least one of names or name_starts_with must be set");
        auto until_step = a.get_optional<int64_t>("until_step");
        auto until_epoch = a.get_optional<int64_t>("until_epoch");
        if (until_step && until_epoch) a.fail("until_epoch", "only one of until_step or until_epoch can be set");
        for (const auto& [key, value] : {std::pair{"until_step", until_step}, std::pair{"until_epoch", until_epoch}})
          if (value && *value < 0) a.fail(key, "expected an integer >= 0");
        return std::make_shared<Freezer>(std::move(s), until_step, until_epoch);
      });
}

}  // namespace lighter::callbacks
