// What a run prints besides progress: Lightning's model summary counts and the SimpleProfiler
// report.
#include <catch2/catch.hpp>

#include <thread>

#include "engine/model_summary.hpp"
#include "engine/profiler.hpp"

using namespace lighter::host;

TEST_CASE("model summary: parameter counts read as Lightning's get_human_readable_count") {
  CHECK(human_readable_count(0) == "0  ");
  CHECK(human_readable_count(195) == "195  ");
  CHECK(human_readable_count(999) == "999  ");
  CHECK(human_readable_count(1000) == "1.0 K");
  CHECK(human_readable_count(1290) == "1.3 K");
  CHECK(human_readable_count(99949) == "99.9 K");
  CHECK(human_readable_count(235146) == "235 K");
  CHECK(human_readable_count(11689512) == "11.7 M");
  CHECK(human_readable_count(2500000000) == "2.5 B");
  CHECK(human_readable_count(7000000000000) == "7.0 T");
}

TEST_CASE("simple profiler: Python's short float and the report's rows, largest total first") {
  CHECK(python_short_float(3.0) == "3.0");
  CHECK(python_short_float(12.3456789) == "12.346");
  CHECK(python_short_float(0.0012345) == "0.0012345");
  CHECK(python_short_float(1.5e-05) == "1.5e-05");
  CHECK(python_short_float(123456.0) == "1.2346e+05");

  SimpleProfiler profiler;
  profiler.start("fit");
  profiler.record("run_training_batch", std::chrono::milliseconds(3));
  profiler.record("run_training_batch", std::chrono::milliseconds(5));
  profiler.record("[Callback]ModelCheckpoint.on_train_epoch_end", std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const std::string report = profiler.report();
  INFO(report);
  CHECK_THAT(report, Catch::StartsWith("FIT Profiler Report\n\n---"));
  CHECK_THAT(report, Catch::Contains("|  Action                                        |  Mean duration (s)  |  Num calls  "
                                     "|  Total time (s)  |  Percentage %  |"));
  CHECK_THAT(report, Catch::Contains("|  Total                                         |  -                  |  3          "));
  CHECK_THAT(report, Catch::Contains("|  run_training_batch                            |  0.004              |  2          "
                                     "|  0.008           |"));
  CHECK(report.find("[Callback]ModelCheckpoint") < report.find("|  run_training_batch"));
  SimpleProfiler empty;
  empty.start("validate");
  CHECK(empty.report() == "VALIDATE Profiler Report\n");
}
