// torchmetrics.MetricCollection: several metrics updated together, each value under its name
// (its key in a table, else the metric's class name, "Accuracy"; with the optional prefix and
// postfix).
#include <set>

#include "registrations.hpp"

namespace lighter::torchmetrics {

namespace {
using Named = std::vector<std::pair<std::string, torch::Tensor>>;

class MetricCollection : public Metric {
 public:
  MetricCollection(std::vector<std::pair<std::string, std::shared_ptr<Metric>>> members, std::string prefix,
                   std::string postfix)
      : members_(std::move(members)), prefix_(std::move(prefix)), postfix_(std::move(postfix)) {}

  void update(const torch::Tensor& preds, const torch::Tensor& target) override {
    for (auto& [name, metric] : members_) metric->update(preds, target);
  }
  Named forward(const torch::Tensor& preds, const torch::Tensor& target) override {
    Named out;
    for (auto& [name, metric] : members_) append(out, name, metric->forward(preds, target));
    return out;
  }
  Named compute() override {
    Named out;
    for (auto& [name, metric] : members_) append(out, name, metric->compute());
    return out;
  }
  void reset() override {
    for (auto& [name, metric] : members_) metric->reset();
  }

 private:
  // A member's single value goes under the member's name; a nested collection's values keep
  // their own names.
  void append(Named& out, const std::string& member, Named values) const {
    if (values.size() == 1) values.front().first = member;
    for (auto& [name, value] : values) out.emplace_back(prefix_ + name + postfix_, std::move(value));
  }

  std::vector<std::pair<std::string, std::shared_ptr<Metric>>> members_;
  std::string prefix_, postfix_;
};

// "torchmetrics.Accuracy" -> "Accuracy", as Python names a metric by its class.
std::string class_name(const std::string& target) {
  const auto dot = target.rfind('.');
  return dot == std::string::npos ? target : target.substr(dot + 1);
}
}  // namespace

void register_collection(Registrar& r) {
  using namespace lighter::param;
  Param metrics = components("metrics", Kind::Metric,
                              "the metrics: a list (each named by its class), a table (each named by its key) or one metric");
  metrics.type = Type::List | Type::Component | Type::Table;
  r.add<Metric>("torchmetrics.MetricCollection", "several metrics computed together, each under its class name",
                {metrics, string("prefix", "", "prepended to every name"), string("postfix", "", "appended to every name")},
                [](const Args& a) {
                  std::vector<std::pair<std::string, std::shared_ptr<Metric>>> members;
                  std::set<std::string> seen;
                  for (auto& [key, metric] : a.named_components<Metric>("metrics")) {
                    std::string name = key.empty() ? class_name(metric->target()) : key;
                    if (!seen.insert(name).second)
                      a.fail("metrics", "two metrics are both named '" + name + "'; a collection needs distinct names");
                    members.emplace_back(std::move(name), std::move(metric));
                  }
                  if (members.empty()) a.fail("metrics", "expected at least one metric");
                  return std::make_shared<MetricCollection>(std::move(members), a.get<std::string>("prefix"),
                                                            a.get<std::string>("postfix"));
                });
}

}  // namespace lighter::torchmetrics
