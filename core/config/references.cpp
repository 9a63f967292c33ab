// Relative references and Lighter 0.0.x's `#` separator, rewritten to absolute `@a::b` paths.
#include "config/compose.hpp"
#include "config/error.hpp"
#include "config/keypath.hpp"

namespace lighter::cfg {
namespace {

class ReferenceRewriter {
public:
    void walk(Node& node, const std::string& path) {
        if (node.is_string()) {
            rewrite(node, path);
        } else if (node.is_array()) {
            for (size_t i = 0; i < node.array().size(); ++i) walk(node.array()[i], join_key_path(path, std::to_string(i)));
        } else if (node.is_table()) {
            for (auto& [key, value] : node.table()) walk(value, join_key_path(path, key));
        }
    }

    void report() const {
        if (!first_hash_.empty()) warn_hash_separator(first_hash_, hash_count_);
    }

private:
    std::string first_hash_;
    size_t hash_count_ = 0;

    void rewrite(Node& node, const std::string& path) {
        const std::string& text = node.as_string();
        if (text.size() < 2 || text.front() != '@') return;
        bool used_hash = false;
        const std::string absolute = absolute_reference(std::string_view(text).substr(1), path, node.loc, &used_hash);
        if (used_hash && hash_count_++ == 0) first_hash_ = path + " ('" + text + "')";
        node = Node::make_string("@" + absolute, node.loc);
    }
};

}  // namespace

void warn_hash_separator(const std::string& first, size_t count) {
    warn("'#' separates keys in Lighter 0.0.x; it is read as '::' here, but write '::' instead (" + first +
         (count > 1 ? " and " + std::to_string(count - 1) + " more" : "") + ")");
}

void absolutize_references(Node& root) {
    ReferenceRewriter rewriter;
    rewriter.walk(root, "");
    rewriter.report();
}

}  // namespace lighter::cfg
