// lighter.LighterDataModule: holds pre-configured dataloaders, one per stage.
#include <lighter/data.hpp>

#include "registrations.hpp"

namespace lighter::data {

namespace {
class LighterDataModule : public DataModule {
 public:
  LighterDataModule(std::shared_ptr<DataLoader> train, std::shared_ptr<DataLoader> val,
                    std::shared_ptr<DataLoader> test, std::shared_ptr<DataLoader> predict)
      : train_(std::move(train)), val_(std::move(val)), test_(std::move(test)), predict_(std::move(predict)) {}
  std::shared_ptr<DataLoader> train_dataloader() override { return train_; }
  std::shared_ptr<DataLoader> val_dataloader() override { return val_; }
  std::shared_ptr<DataLoader> test_dataloader() override { return test_; }
  std::shared_ptr<DataLoader> predict_dataloader() override { return predict_; }

 private:
  std::shared_ptr<DataLoader> train_, val_, test_, predict_;
};
}  // namespace

void register_data_module(Registrar& r) {
  using lighter::param::component;
  r.add<DataModule>("lighter.LighterDataModule", "dataloaders for the fit, validate, test and predict stages",
                    {component("train_dataloader", Kind::DataLoader, "DataLoader for training", true),
                     component("val_dataloader", Kind::DataLoader, "DataLoader for validation", true),
                     component("test_dataloader", Kind::DataLoader, "DataLoader for testing", true),
                     component("predict_dataloader", Kind::DataLoader, "DataLoader for predictions", true)},
                    [](const Args& a) {
                      return std::make_shared<LighterDataModule>(
                          a.component<DataLoader>("train_dataloader"), a.component<DataLoader>("val_dataloader"),
                          a.component<DataLoader>("test_dataloader"), a.component<DataLoader>("predict_dataloader"));
                    });
}

}  // namespace lighter::data
