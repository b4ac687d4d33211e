// One writer (the control plane) hands immutable snapshots to many reader
// threads without a lock on the read side: a reader checks a generation
// counter and touches the shared pointer only when it moved, so no
// reference count bounces between cores per read.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace failoverdns {

template <class T>
class Published {
 public:
  explicit Published(std::shared_ptr<const T> initial) : value_(std::move(initial)) {}

  // Writer: every reader sees `value` from its next get() on.
  void publish(std::shared_ptr<const T> value) {
    // Pointer first, generation second: a reader that sees the new
    // generation (acquire) loads this pointer or a newer one.
    value_.store(std::move(value), std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
  }

  std::shared_ptr<const T> current() const { return value_.load(std::memory_order_acquire); }
  // 1 for the initial value, then one more per publish().
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

  // One per reader thread; not shared between threads.
  class Reader {
   public:
    explicit Reader(const Published& source) : source_(&source) {}
    // The newest snapshot; the reference stays valid until the next call.
    const T& get() noexcept {
      const std::uint64_t generation = source_->generation_.load(std::memory_order_acquire);
      if (generation != generation_) {
        value_ = source_->value_.load(std::memory_order_acquire);
        generation_ = generation;
      }
      return *value_;
    }

   private:
    const Published* source_;
    std::uint64_t generation_ = 0;
    std::shared_ptr<const T> value_;
  };

 private:
  std::atomic<std::shared_ptr<const T>> value_;
  std::atomic<std::uint64_t> generation_{1};
};

}  // namespace failoverdns
