public enum XCLIPModule {}
