#pragma once
// ModelCheckpoint's filename templates, rendered like Lightning's format_checkpoint_name:
// "{epoch}-{val/loss:.2f}" -> "epoch=3-val_loss=0.12" (with auto_insert_metric_name).
#include <map>
#include <string>
#include <vector>

namespace lighter::lightning {

class CheckpointName {
 public:
  // Throws std::invalid_argument for an unclosed '{' or a format spec it cannot render.
  CheckpointName(const std::string& pattern, bool auto_insert_metric_name);

  // `values` holds the callback metrics plus "epoch" and "step"; names the template uses
  // that are missing render as 0, as in Lightning. `version` > 0 appends "-v<version>".
  std::string render(const std::map<std::string, double>& values, int version = 0) const;

 private:
  struct Part {
    std::string text;  // literal text, or the metric name when `field`
    bool field = false;
    std::string spec;  // Python format spec after ':'
  };
  std::vector<Part> parts_;
  bool auto_insert_metric_name_;
};

}  // namespace lighter::lightning
